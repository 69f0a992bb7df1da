import { useState } from 'react';
import { api } from '../api.js';
import { useLoad } from '../hooks.js';
import { Badge, Empty, ErrorNote, Loading, Section, statusTone, when } from '../ui.js';

function Message({ eventId }: { eventId: string }) {
  const item = useLoad(() => api.admin.deliveries.get.query({ eventId }), [eventId]);
  if (item.loading) return <Loading what="Loading the e-mail" />;
  if (item.error) return <ErrorNote message={item.error} />;
  const { notification, message } = item.data!;
  return (
    <Section title={notification.subject || notification.template} actions={<a href="#/emails">Close</a>}>
      <p className="muted">
        To {notification.recipient || '—'} ·{' '}
        <Badge tone={statusTone(notification.status)}>{notification.status}</Badge> · {notification.transport}{' '}
        · {when(notification.sentAt ?? notification.createdAt)}
        {notification.lastError && ` · ${notification.lastError}`}
      </p>
      {message ? (
        <iframe title="Rendered e-mail" sandbox="" srcDoc={message.html} className="email-frame" />
      ) : (
        <Empty>The message body was not stored (only the outbox transport keeps it).</Empty>
      )}
    </Section>
  );
}

export function EmailsPage({ eventId }: { eventId: string | undefined }) {
  const [status, setStatus] = useState<'' | 'pending' | 'sent' | 'failed' | 'suppressed'>('');
  const [pages, setPages] = useState<string[]>(['']);
  const list = useLoad(
    () =>
      api.admin.deliveries.list.query({
        statuses: status ? [status] : [],
        pageSize: 20,
        pageToken: pages.at(-1)!,
      }),
    [status, pages.at(-1)],
  );
  return (
    <>
      {eventId && <Message eventId={eventId} />}
      <Section
        title="E-mail log"
        actions={
          <select
            aria-label="Status"
            value={status}
            onChange={(e) => (setStatus(e.target.value as typeof status), setPages(['']))}
          >
            <option value="">All</option>
            <option value="sent">sent</option>
            <option value="pending">pending</option>
            <option value="failed">failed</option>
            <option value="suppressed">suppressed</option>
          </select>
        }
      >
        {list.loading && !list.data && <Loading what="Loading e-mails" />}
        {list.error && <ErrorNote message={list.error} retry={list.reload} />}
        {list.data && list.data.notifications.length === 0 && <Empty>No e-mails yet.</Empty>}
        {list.data && list.data.notifications.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Subject</th>
                  <th>To</th>
                  <th>Template</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {list.data.notifications.map((n) => (
                  <tr key={n.eventId}>
                    <td>{when(n.createdAt)}</td>
                    <td>
                      <a href={`#/emails/${n.eventId}`}>{n.subject || '(no subject)'}</a>
                    </td>
                    <td>{n.recipient || '—'}</td>
                    <td>{n.template}</td>
                    <td>
                      <Badge tone={statusTone(n.status)}>{n.status}</Badge>{' '}
                      {n.suppressedReason && <span className="muted">{n.suppressedReason}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && (
          <div className="pager">
            <button
              className="secondary"
              disabled={pages.length === 1}
              onClick={() => setPages((p) => p.slice(0, -1))}
            >
              Newer
            </button>
            <button
              className="secondary"
              disabled={!list.data.nextPageToken}
              onClick={() => setPages((p) => [...p, list.data!.nextPageToken])}
            >
              Older
            </button>
          </div>
        )}
      </Section>
    </>
  );
}
