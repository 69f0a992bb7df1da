import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, describeError, fileToDataUrl, reasonOf } from '../api.js';

type Mode = 'password' | 'face';

export function LoginPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<Mode>('password');
  const [identifier, setIdentifier] = useState('');
  const [password, setPassword] = useState('');
  // Set when identity answers PASSWORD_CHANGE_REQUIRED (a one-time password): the next submit replaces it.
  const [newPassword, setNewPassword] = useState<string | undefined>();
  const [photo, setPhoto] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [camera, setCamera] = useState<MediaStream | undefined>();
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    if (video.current && camera) video.current.srcObject = camera;
    return () => camera?.getTracks().forEach((track) => track.stop());
  }, [camera]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'password')
        await api.auth.login.mutate({
          identifier,
          password,
          ...(newPassword ? { newPassword } : {}),
          session: 'cookie',
        });
      else {
        if (!photo) throw new Error('Choose a photo of your face or take one with the camera.');
        const username = identifier.trim();
        await api.auth.faceLogin.mutate({
          ...(username ? { username } : {}),
          image: photo,
          session: 'cookie',
        });
      }
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

  const startCamera = async () => {
    try {
      setCamera(await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' } }));
    } catch {
      setError('The camera is not available. Choose a photo file instead.');
    }
  };

  const capture = () => {
    const element = video.current;
    if (!element) return;
    const canvas = document.createElement('canvas');
    canvas.width = element.videoWidth;
    canvas.height = element.videoHeight;
    canvas.getContext('2d')?.drawImage(element, 0, 0);
    setPhoto(canvas.toDataURL('image/jpeg', 0.92));
    camera?.getTracks().forEach((track) => track.stop());
    setCamera(undefined);
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
          <div className="face-input">
            <label>
              Photo of your face
              <input
                name="photo"
                type="file"
                accept="image/jpeg,image/png,image/webp"
                onChange={(e) => e.target.files?.[0] && void fileToDataUrl(e.target.files[0]).then(setPhoto)}
              />
            </label>
            {camera ? (
              <>
                <video ref={video} autoPlay playsInline muted className="camera" />
                <button type="button" className="secondary" onClick={capture}>
                  Take photo
                </button>
              </>
            ) : (
              <button type="button" className="secondary" onClick={() => void startCamera()}>
                Use the camera
              </button>
            )}
            {photo && <img src={photo} alt="Your photo" className="preview" />}
          </div>
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
