import { useState, type FormEvent } from 'react';
import { api, describeError, fileToDataUrl } from '../api.js';
import { useLoad } from '../hooks.js';
import { LivenessCheck, type LivenessCapture } from '../liveness.js';
import { Badge, Empty, ErrorNote, Loading, Section, statusTone, when } from '../ui.js';

type DocType = 'id_card' | 'passport' | 'driver_license' | 'proof_of_address';

export function AccountPage() {
  const profile = useLoad(() => api.me.profile.query(), []);
  const status = useLoad(() => api.verification.status.query(), []);
  const [type, setType] = useState<DocType>('id_card');
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();

  const [faceNotice, setFaceNotice] = useState<string>();
  /** Enrollment from the camera check (its own errors are shown by the check). */
  const enrollFace = async (liveness: LivenessCapture) => {
    setFaceNotice(undefined);
    const result = await api.biometrics.enroll.mutate({ liveness });
    setFaceNotice(result.created ? 'Your face is enrolled.' : 'Your face was replaced.');
    profile.reload();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return setError('Choose the file of your document.');
    setBusy(true);
    setError(undefined);
    try {
      await api.verification.submit.mutate({ type, content: await fileToDataUrl(file), fileName: file.name });
      setNotice('Thank you. Your document was sent for review.');
      status.reload();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Section title="My account">
        {profile.loading && !profile.data && <Loading />}
        {profile.error && <ErrorNote message={profile.error} retry={profile.reload} />}
        {profile.data && (
          <dl className="facts">
            <dt>Name</dt>
            <dd>{profile.data.user.fullName || '—'}</dd>
            <dt>Username</dt>
            <dd>{profile.data.user.username}</dd>
            <dt>E-mail</dt>
            <dd>{profile.data.user.email}</dd>
            <dt>Face</dt>
            <dd>{profile.data.user.faceEnrolled ? <Badge tone="blue">enrolled</Badge> : 'not enrolled'}</dd>
          </dl>
        )}
      </Section>
      <Section title="Face sign-in">
        <p className="muted">
          {profile.data?.user.faceEnrolled
            ? 'Your face is enrolled. You can replace it (sign in again first if your last sign-in is older than 5 minutes).'
            : 'Enroll your face to sign in with the camera.'}
        </p>
        <LivenessCheck
          purpose="enroll"
          submitLabel={profile.data?.user.faceEnrolled ? 'Replace my face' : 'Enroll my face'}
          onCaptured={enrollFace}
        />
        {faceNotice && (
          <p className="notice" role="status">
            {faceNotice}
          </p>
        )}
      </Section>
      <Section title="Identity verification">
        {status.loading && !status.data && <Loading />}
        {status.error && <ErrorNote message={status.error} retry={status.reload} />}
        {status.data && (
          <>
            <p>
              {status.data.status.verified ? (
                <Badge tone="green">verified</Badge>
              ) : (
                <Badge tone="amber">not verified yet</Badge>
              )}
            </p>
            {(status.data.status.documents ?? []).length === 0 ? (
              <Empty>You have not sent a document yet.</Empty>
            ) : (
              <ul className="plain">
                {status.data.status.documents!.map((doc) => (
                  <li key={doc.id} data-document-status={doc.status}>
                    {doc.type.replace('_', ' ')} <Badge tone={statusTone(doc.status)}>{doc.status}</Badge>{' '}
                    <span className="muted">{when(doc.submittedAt)}</span>
                    {doc.reviewReason && <span className="muted"> · {doc.reviewReason}</span>}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        <form className="grid-form" onSubmit={(e) => void submit(e)} aria-label="Send a document">
          <select
            name="type"
            value={type}
            onChange={(e) => setType(e.target.value as DocType)}
            aria-label="Document type"
          >
            <option value="id_card">ID card</option>
            <option value="passport">Passport</option>
            <option value="driver_license">Driver licence</option>
            <option value="proof_of_address">Proof of address</option>
          </select>
          <input
            name="document"
            type="file"
            accept="image/jpeg,image/png,application/pdf"
            onChange={(e) => setFile(e.target.files?.[0])}
            aria-label="Document file"
          />
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send document'}
          </button>
        </form>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && <ErrorNote message={error} />}
      </Section>
    </>
  );
}
