import { useState, type FormEvent } from 'react';
import { api, describeError, reasonOf } from '../api.js';
import { LivenessCheck, type LivenessCapture } from '../liveness.js';

type Mode = 'password' | 'face';

export function LoginPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<Mode>('password');
  const [identifier, setIdentifier] = useState('');
  const [password, setPassword] = useState('');
  // Set when identity answers PASSWORD_CHANGE_REQUIRED (a one-time password): the next submit replaces it.
  const [newPassword, setNewPassword] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  /** Face sign-in: the capture of the camera check (its errors are shown by the check itself). */
  const faceSignIn = async (liveness: LivenessCapture) => {
    const username = identifier.trim();
    await api.auth.faceLogin.mutate({ ...(username ? { username } : {}), liveness, session: 'cookie' });
    onSignedIn();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'face') return;
    setBusy(true);
    setError(undefined);
    try {
      await api.auth.login.mutate({
        identifier,
        password,
        ...(newPassword ? { newPassword } : {}),
        session: 'cookie',
      });
      onSignedIn();
    } catch (failure) {
      if (reasonOf(failure) === 'PASSWORD_CHANGE_REQUIRED' && newPassword === undefined) {
        setNewPassword('');
        setError('This password was for the first sign-in only. Choose a new password to continue.');
        return;
      }
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)}>
        <h1>Guardian</h1>
        <p className="muted">Sign in to the dashboard</p>
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'password'}
            className={mode === 'password' ? 'tab active' : 'tab'}
            onClick={() => setMode('password')}
          >
            Password
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={mode === 'face'}
            className={mode === 'face' ? 'tab active' : 'tab'}
            onClick={() => setMode('face')}
          >
            Face
          </button>
        </div>
        <label>
          {mode === 'password' ? 'Username or e-mail' : 'Username or e-mail (optional)'}
          <input
            name="identifier"
            autoComplete="username"
            required={mode === 'password'}
            value={identifier}
            onChange={(e) => setIdentifier(e.target.value)}
          />
        </label>
        {mode === 'password' ? (
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
        ) : null}
        {mode === 'password' && newPassword !== undefined ? (
          <label>
            New password
            <input
              name="newPassword"
              type="password"
              autoComplete="new-password"
              required
              value={newPassword}
              onChange={(e) => setNewPassword(e.target.value)}
            />
          </label>
        ) : null}
        {mode === 'password' ? null : (
          <LivenessCheck
            purpose="sign_in"
            username={identifier.trim()}
            submitLabel="Sign in with the camera"
            onCaptured={faceSignIn}
          />
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        {mode === 'password' && (
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        )}
      </form>
    </div>
  );
}
