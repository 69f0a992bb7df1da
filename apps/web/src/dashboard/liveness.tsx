import { useEffect, useRef, useState } from 'react';
import { api, describeError } from './api.js';

/** What the capture sends: the session and its frames (base64 JPEG, ms since the first frame). */
export interface LivenessCapture {
  session: string;
  frames: { image: string; tMs: number }[];
}

const PROMPTS: Record<string, string> = {
  turn_left: 'Turn your head to your left',
  turn_right: 'Turn your head to your right',
  look_up: 'Look up',
  look_down: 'Look down',
  blink: 'Close your eyes for a moment, then open them',
};

/** Capture pace: frames per second, time to settle before the first prompt, time per prompt. */
const FPS = 5;
const SETTLE_MS = 800;
const PROMPT_MS = 1800;
const MAX_WIDTH = 640;

type Phase = 'idle' | 'starting' | 'capturing' | 'sending';

/** Why the camera could not start, in words a person can act on. */
function cameraProblem(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (!navigator.mediaDevices?.getUserMedia || name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera was found. Connect a camera (or use a device that has one) and try again, or sign in with your password.';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Camera access was refused. Allow this site to use the camera in your browser settings, then try again.';
  if (name === 'NotReadableError')
    return 'The camera is in use by another application. Close it and try again.';
  return 'The camera could not be started. Try again, or sign in with your password.';
}

/**
 * The camera check before a face sign-in or enrollment (docs/liveness.md): asks the server for a
 * challenge, shows each move with a progress bar and a guide for the face, captures frames while the
 * user follows the prompts and hands them to `onCaptured`. Every control is a button (keyboard
 * works); prompts are announced to screen readers.
 */
export function LivenessCheck({
  purpose,
  username,
  enrollmentToken,
  submitLabel,
  onCaptured,
}: {
  purpose: 'sign_in' | 'enroll';
  username?: string;
  enrollmentToken?: string;
  submitLabel: string;
  onCaptured: (capture: LivenessCapture) => Promise<void>;
}) {
  const [phase, setPhase] = useState<Phase>('idle');
  const [prompt, setPrompt] = useState<string>('');
  const [step, setStep] = useState({ done: 0, total: 0 });
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<string>();
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | undefined>(undefined);

  const stopCamera = () => {
    stream.current?.getTracks().forEach((track) => track.stop());
    stream.current = undefined;
  };
  useEffect(() => stopCamera, []);

  const run = async () => {
    setError(undefined);
    setPhase('starting');
    try {
      try {
        stream.current = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
        });
      } catch (problem) {
        throw new Error(cameraProblem(problem));
      }
      const element = video.current!;
      element.srcObject = stream.current;
      await element.play();
      const challenge = await api.auth.livenessStart.mutate({
        purpose,
        ...(username ? { username } : {}),
        ...(enrollmentToken ? { enrollmentToken } : {}),
      });
      const actions = challenge.actions;
      setStep({ done: 0, total: actions.length });
      setPhase('capturing');
      const frames = await captureWhilePrompting(element, actions, (index, fraction) => {
        setPrompt(index < 0 ? 'Look at the camera' : (PROMPTS[actions[index]!] ?? actions[index]!));
        setStep({ done: Math.max(0, index), total: actions.length });
        setProgress(fraction);
      });
      stopCamera();
      setPhase('sending');
      setPrompt('Checking…');
      await onCaptured({ session: challenge.session, frames });
      setPhase('idle');
    } catch (failure) {
      stopCamera();
      setPhase('idle');
      setError(describeError(failure));
    }
  };

  const active = phase === 'starting' || phase === 'capturing' || phase === 'sending';
  return (
    <div className="liveness">
      <div className={active ? 'liveness-stage' : 'liveness-stage hidden'}>
        <video
          ref={video}
          autoPlay
          playsInline
          muted
          className="camera mirrored"
          aria-label="Camera preview"
        />
        <div className="face-guide" aria-hidden="true" />
      </div>
      {active && (
        <div className="liveness-prompt">
          <p role="status" aria-live="assertive" className="prompt-text">
            {phase === 'starting' ? 'Starting the camera…' : prompt}
          </p>
          {phase === 'capturing' && (
            <>
              <progress max={1} value={progress} aria-label="Progress of the check" />
              <p className="muted">
                Move {Math.min(step.done + 1, step.total)} of {step.total}. Keep your face inside the oval.
              </p>
            </>
          )}
        </div>
      )}
      {!active && (
        <>
          <p className="muted">
            The camera check asks you to make a few head moves in a random order. It takes about 6 seconds.
          </p>
          <button type="button" onClick={() => void run()}>
            {submitLabel}
          </button>
        </>
      )}
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/**
 * Frames at FPS while showing each prompt for PROMPT_MS (after SETTLE_MS of looking at the camera).
 * `show(index, fraction)`: the prompt on screen (-1 = settle) and the share of the capture done.
 */
async function captureWhilePrompting(
  element: HTMLVideoElement,
  actions: readonly string[],
  show: (index: number, fraction: number) => void,
): Promise<{ image: string; tMs: number }[]> {
  const canvas = document.createElement('canvas');
  const scale = Math.min(1, MAX_WIDTH / (element.videoWidth || MAX_WIDTH));
  canvas.width = Math.round((element.videoWidth || MAX_WIDTH) * scale);
  canvas.height = Math.round((element.videoHeight || 480) * scale);
  const context = canvas.getContext('2d')!;
  const total = SETTLE_MS + actions.length * PROMPT_MS;
  const frames: { image: string; tMs: number }[] = [];
  const start = performance.now();
  for (;;) {
    const now = performance.now();
    const elapsed = now - start;
    if (elapsed > total) break;
    show(elapsed < SETTLE_MS ? -1 : Math.floor((elapsed - SETTLE_MS) / PROMPT_MS), elapsed / total);
    // Unmirrored, as the camera delivers it (the preview only is mirrored).
    context.drawImage(element, 0, 0, canvas.width, canvas.height);
    const tMs = Math.round(elapsed);
    if (frames.length === 0 || tMs > frames.at(-1)!.tMs)
      frames.push({ image: canvas.toDataURL('image/jpeg', 0.85), tMs });
    const next = start + frames.length * (1000 / FPS);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  show(actions.length - 1, 1);
  // Times from the first frame.
  return frames.map((f) => ({ image: f.image, tMs: f.tMs - frames[0]!.tMs }));
}
