/** What the video pages share: states, expressions, formats and the progress line. */
import type { RouterOutputs } from './api.js';
import { Badge } from './ui.js';

export type Video = RouterOutputs['media']['get']['video'];
export type Track = Video['tracks'][number];
export type TimelineFrame = RouterOutputs['media']['timeline']['frames'][number];

/** States after which nothing changes any more. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);
export const isFinal = (video: Pick<Video, 'state'>) => FINAL_STATES.has(video.state);

export const EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

/** One colour per expression (Okabe–Ito: told apart with the common colour-vision deficiencies). */
export const EXPRESSION_COLOURS: Record<Expression, string> = {
  neutral: '#6b6b6b',
  happy: '#e69f00',
  sad: '#0072b2',
  angry: '#d55e00',
  fearful: '#cc79a7',
  disgusted: '#009e73',
  surprised: '#56b4e9',
};

/** Dashes as a second cue beside colour (same order as EXPRESSIONS). */
export const EXPRESSION_DASHES: Record<Expression, number[] | undefined> = {
  neutral: undefined,
  happy: undefined,
  sad: [6, 3],
  angry: undefined,
  fearful: [2, 3],
  disgusted: [8, 3, 2, 3],
  surprised: [4, 4],
};

const STATE_TONES: Record<string, string> = {
  uploading: 'blue',
  queued: 'amber',
  processing: 'blue',
  done: 'green',
  failed: 'red',
  cancelled: 'grey',
};

const STATE_LABELS: Record<string, string> = {
  uploading: 'uploading',
  queued: 'queued',
  processing: 'analysing',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function VideoState({ state }: { state: string }) {
  return <Badge tone={STATE_TONES[state] ?? 'grey'}>{STATE_LABELS[state] ?? state}</Badge>;
}

export const percent = (share: number) => `${Math.round(share * 100)}%`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** ffprobe's container names ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm") as people know them. */
export function containerName(container: string): string {
  const names = container.split(',');
  if (names.includes('mp4')) return 'MP4 / MOV';
  if (names.includes('webm')) return 'WebM / MKV';
  if (names.includes('avi')) return 'AVI';
  return names[0]!.toUpperCase();
}

/** `m:ss` (or `h:mm:ss`); '—' before the length is known. */
export function formatDuration(ms: number): string {
  if (!ms) return '—';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatEta(ms: number): string {
  if (!ms) return '';
  if (ms < 60_000) return `about ${Math.max(1, Math.round(ms / 1000))} s left`;
  if (ms < 3_600_000) return `about ${Math.round(ms / 60_000)} min left`;
  return `about ${(ms / 3_600_000).toFixed(1)} h left`;
}

/** How far a video has come, as a number 0..100 (upload bytes while uploading, frames after). */
export function progressPercent(video: Video): number {
  if (video.state === 'uploading')
    return video.sizeBytes ? Math.floor((100 * video.receivedBytes) / video.sizeBytes) : 0;
  if (video.state === 'done') return 100;
  return Math.max(0, Math.min(100, Math.round(video.progress?.percent ?? 0)));
}

/** The progress bar and its words: "42% · about 30 s left". */
export function VideoProgress({ video }: { video: Video }) {
  if (video.state === 'failed' || video.state === 'cancelled') return <span className="muted">—</span>;
  const value = progressPercent(video);
  const eta = video.state === 'processing' ? formatEta(video.progress?.etaMs ?? 0) : '';
  const label =
    video.state === 'queued'
      ? 'waiting for its turn'
      : video.state === 'uploading'
        ? `${value}% uploaded`
        : `${value}%${eta ? ` · ${eta}` : ''}`;
  return (
    <span className="video-progress" data-percent={value}>
      <progress max={100} value={value} aria-label={`Progress of ${video.fileName || 'the video'}`} />
      <span className="small-text">{label}</span>
    </span>
  );
}
