import { useState } from 'react';
import { api, describeError } from '../api.js';
import { navigate, useLoad } from '../hooks.js';
import type { Me } from '../main.js';
import { Badge, Empty, ErrorNote, Loading, roleTone, Section, statusTone, when } from '../ui.js';

export function UserPage({ userId, me }: { userId: string; me: Me }) {
  const detail = useLoad(() => api.admin.users.get.query({ userId }), [userId]);
  const [error, setError] = useState<string>();
  if (detail.loading && !detail.data) return <Loading what="Loading the user" />;
  if (detail.error) return <ErrorNote message={detail.error} retry={detail.reload} />;
  const { user, allowed, verification, biometric, loginAttempts, livenessChecks, sessions, notifications } =
    detail.data!;
  const act = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      detail.reload();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <>
      <p>
        <a href="#/users">← Users</a>
      </p>
      <Section
        title={user.fullName || user.username}
        actions={
          <div className="row-actions">
            {me.role === 'master' && (
              <select
                aria-label="Role"
                disabled={!allowed.setRole}
                value={user.role}
                onChange={(e) =>
                  void act(() =>
                    api.admin.users.update.mutate({
                      userId,
                      role: e.target.value as 'user' | 'admin' | 'master',
                    }),
                  )
                }
              >
                <option>user</option>
                <option>admin</option>
                <option>master</option>
              </select>
            )}
            <button
              className="secondary"
              disabled={!allowed.update}
              onClick={() =>
                void act(() =>
                  api.admin.users.update.mutate({
                    userId,
                    status: user.status === 'disabled' ? 'active' : 'disabled',
                  }),
                )
              }
            >
              {user.status === 'disabled' ? 'Enable' : 'Disable'}
            </button>
            <button
              className="secondary"
              disabled={!allowed.unlock || !user.lockedUntil}
              onClick={() => void act(() => api.admin.users.unlock.mutate({ userId }))}
            >
              Unlock
            </button>
            <button
              className="danger"
              disabled={!allowed.delete}
              onClick={() =>
                window.confirm(`Delete ${user.username}?`) &&
                void act(() => api.admin.users.delete.mutate({ userId }).then(() => navigate('/users')))
              }
            >
              Delete
            </button>
          </div>
        }
      >
        {error && <ErrorNote message={error} />}
        <dl className="facts">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>E-mail</dt>
          <dd>{user.email}</dd>
          <dt>Role</dt>
          <dd>
            <Badge tone={roleTone(user.role)}>{user.role}</Badge>
          </dd>
          <dt>Status</dt>
          <dd>
            <Badge tone={statusTone(user.status)}>{user.status}</Badge>{' '}
            {user.lockedUntil && <Badge tone="red">locked until {when(user.lockedUntil)}</Badge>}
          </dd>
          <dt>Language</dt>
          <dd>{user.locale}</dd>
          <dt>Phone</dt>
          <dd>{user.profile?.phone || '—'}</dd>
          <dt>Address</dt>
          <dd>{user.profile?.address || '—'}</dd>
          <dt>Birth date</dt>
          <dd>{user.profile?.birthDate || '—'}</dd>
          <dt>Created</dt>
          <dd>{when(user.createdAt)}</dd>
        </dl>
      </Section>
      <div className="two-columns">
        <Section title="Verification">
          {verification ? (
            <>
              <p>
                {verification.verified ? (
                  <Badge tone="green">verified</Badge>
                ) : (
                  <Badge tone="amber">not verified</Badge>
                )}
              </p>
              <p className="muted">
                Documents: {verification.counts?.pending ?? 0} pending, {verification.counts?.approved ?? 0}{' '}
                approved, {verification.counts?.rejected ?? 0} rejected
              </p>
            </>
          ) : (
            <Empty>Verification status is not available.</Empty>
          )}
        </Section>
        <Section title="Face">
          {biometric?.enrolled ? (
            <p>
              <Badge tone="blue">enrolled</Badge> {biometric.enrollment?.sampleCount} photo(s), model{' '}
              {biometric.enrollment?.modelId}, {when(biometric.enrollment?.updatedAt)}
            </p>
          ) : biometric ? (
            <Empty>No face enrolled.</Empty>
          ) : (
            <Empty>Biometric status is not available.</Empty>
          )}
        </Section>
      </div>
      <Section title="Recent login attempts">
        {!loginAttempts ? (
          <Empty>You may not see this account's sign-in attempts.</Empty>
        ) : loginAttempts.length === 0 ? (
          <Empty>No login attempts recently.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Outcome</th>
                  <th>Method</th>
                  <th>IP</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                {loginAttempts.map((attempt) => (
                  <tr key={attempt.id}>
                    <td>{when(attempt.at)}</td>
                    <td>
                      <Badge tone={statusTone(attempt.outcome)}>{attempt.outcome}</Badge>
                    </td>
                    <td>{attempt.method}</td>
                    <td>{attempt.ip}</td>
                    <td>{attempt.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Liveness checks">
        {!livenessChecks ? (
          <Empty>You may not see this account's liveness checks.</Empty>
        ) : livenessChecks.length === 0 ? (
          <Empty>No camera checks yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table aria-label="Liveness checks">
              <thead>
                <tr>
                  <th>When</th>
                  <th>For</th>
                  <th>Moves asked</th>
                  <th>Decision</th>
                  <th>Reason</th>
                  <th>Score</th>
                  <th>Frames (yaw° / pitch° / eyes)</th>
                </tr>
              </thead>
              <tbody>
                {livenessChecks.map((check) => (
                  <tr key={check.sessionId} data-liveness-decision={check.decision}>
                    <td>{when(check.scoredAt ?? check.issuedAt)}</td>
                    <td>{check.purpose === 'enroll' ? 'enrollment' : 'sign-in'}</td>
                    <td>{check.actions.join(' → ')}</td>
                    <td>
                      <Badge
                        tone={
                          check.decision === 'pass' ? 'green' : check.decision === 'retry' ? 'amber' : 'red'
                        }
                      >
                        {check.decision}
                      </Badge>
                    </td>
                    <td>{check.reason}</td>
                    <td>{check.score.toFixed(2)}</td>
                    <td>
                      <details>
                        <summary>{check.frames.length} frames</summary>
                        <ol className="frames">
                          {check.frames.map((f) => (
                            <li key={f.tMs}>
                              {(f.tMs / 1000).toFixed(1)} s:{' '}
                              {f.face
                                ? `${f.yaw.toFixed(0)} / ${f.pitch.toFixed(0)} / ${f.ear.toFixed(2)}`
                                : 'no face'}
                            </li>
                          ))}
                        </ol>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Sessions">
        {!sessions ? (
          <Empty>You may not see this account's sessions.</Empty>
        ) : sessions.length === 0 ? (
          <Empty>No live sessions.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Signed in</th>
                  <th>Last used</th>
                  <th>Method</th>
                  <th>IP</th>
                  <th>Device</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {sessions.map((session) => (
                  <tr key={session.id}>
                    <td>{when(session.createdAt)}</td>
                    <td>{when(session.lastUsedAt)}</td>
                    <td>{session.method}</td>
                    <td>{session.ip}</td>
                    <td>{session.userAgent}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() =>
                          void act(() =>
                            api.admin.users.revokeSession.mutate({ userId: user.id, sessionId: session.id }),
                          )
                        }
                      >
                        Sign out
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="E-mails">
        {!notifications ? (
          <Empty>The e-mail log is not available.</Empty>
        ) : notifications.length === 0 ? (
          <Empty>No e-mails yet.</Empty>
        ) : (
          <ul className="plain">
            {notifications.map((n) => (
              <li key={n.eventId}>
                <a href={`#/emails/${n.eventId}`}>{n.subject || n.template}</a>{' '}
                <Badge tone={statusTone(n.status)}>{n.status}</Badge>{' '}
                <span className="muted">{when(n.createdAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
