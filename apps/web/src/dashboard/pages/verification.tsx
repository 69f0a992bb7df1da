import { useEffect, useState } from 'react';
import { api, describeError } from '../api.js';
import { useLoad } from '../hooks.js';
import { Badge, Empty, ErrorNote, Loading, Section, when } from '../ui.js';

function Preview({ documentId }: { documentId: string }) {
  const doc = useLoad(() => api.admin.documents.get.query({ documentId }), [documentId]);
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!doc.data) return;
    const bytes = Uint8Array.from(atob(doc.data.content), (c) => c.charCodeAt(0));
    const objectUrl = URL.createObjectURL(new Blob([bytes], { type: doc.data.document.contentType }));
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [doc.data]);
  if (doc.loading) return <Loading what="Loading the document" />;
  if (doc.error) return <ErrorNote message={doc.error} />;
  if (!url) return null;
  return doc.data!.document.contentType === 'application/pdf' ? (
    <object data={url} type="application/pdf" className="doc-preview" aria-label="Document">
      <a href={url}>Open the PDF</a>
    </object>
  ) : (
    <img src={url} alt="Document" className="doc-preview" />
  );
}

export function VerificationPage() {
  const queue = useLoad(() => api.admin.documents.queue.query({ pageSize: 20, pageToken: '' }), []);
  const [open, setOpen] = useState<string>();
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();

  const review = async (documentId: string, decision: 'approve' | 'reject') => {
    setError(undefined);
    try {
      const { document } = await api.admin.documents.review.mutate({
        documentId,
        decision,
        reason: reasons[documentId] ?? '',
      });
      setDone(
        `Document ${decision === 'approve' ? 'approved' : 'rejected'} (${document.type.replace('_', ' ')}).`,
      );
      queue.reload();
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  return (
    <Section title="Verification queue">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {error && <ErrorNote message={error} />}
      {queue.loading && !queue.data && <Loading what="Loading the queue" />}
      {queue.error && <ErrorNote message={queue.error} retry={queue.reload} />}
      {queue.data && queue.data.items.length === 0 && <Empty>Nothing waits for review.</Empty>}
      {queue.data?.items.map(({ user, documents }) => (
        <article key={user.id} className="queue-item" data-username={user.username}>
          <h3>
            <a href={`#/users/${user.id}`}>{user.fullName || user.username}</a>{' '}
            <span className="muted">{user.email}</span>
          </h3>
          {documents.map((doc) => (
            <div key={doc.id} className="document">
              <div className="document-head">
                <Badge tone="amber">{doc.status}</Badge> <strong>{doc.type.replace('_', ' ')}</strong>{' '}
                <span className="muted">
                  {doc.fileName || 'unnamed'} · {Math.round(Number(doc.sizeBytes) / 1024)} KiB ·{' '}
                  {when(doc.submittedAt)}
                </span>
                <button
                  className="small secondary"
                  onClick={() => setOpen(open === doc.id ? undefined : doc.id)}
                >
                  {open === doc.id ? 'Hide' : 'Preview'}
                </button>
              </div>
              {open === doc.id && <Preview documentId={doc.id} />}
              <div className="review">
                <input
                  placeholder="Reason (needed to reject)"
                  value={reasons[doc.id] ?? ''}
                  onChange={(e) => setReasons({ ...reasons, [doc.id]: e.target.value })}
                  aria-label="Reason"
                />
                <button onClick={() => void review(doc.id, 'approve')}>Approve</button>
                <button
                  className="danger"
                  disabled={!reasons[doc.id]?.trim()}
                  onClick={() => void review(doc.id, 'reject')}
                >
                  Reject
                </button>
              </div>
            </div>
          ))}
        </article>
      ))}
    </Section>
  );
}
