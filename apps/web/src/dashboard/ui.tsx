import type { ReactNode } from 'react';

export function Badge({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export const roleTone = (role: string) => (role === 'master' ? 'purple' : role === 'admin' ? 'blue' : 'grey');
export const statusTone = (status: string) =>
  ({
    active: 'green',
    approved: 'green',
    sent: 'green',
    succeeded: 'green',
    SERVING: 'green',
    pending: 'amber',
    pending_enrollment: 'amber',
    disabled: 'red',
    rejected: 'red',
    failed: 'red',
    locked: 'red',
    NOT_SERVING: 'red',
    UNKNOWN: 'red',
    suppressed: 'grey',
  })[status] ?? 'grey';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      <span className="spinner" /> {what}…
    </p>
  );
}

export function ErrorNote({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div className="error" role="alert">
      {message}
      {retry && (
        <button className="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export const when = (iso: string | undefined | null) => (iso ? new Date(iso).toLocaleString() : '—');
