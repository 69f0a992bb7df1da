/**
 * Sends a video's bytes to its upload URL the tus 1.0 core way (PATCH with Upload-Offset, 4 MiB at a
 * time) and resumes after a network drop: a failed PATCH is followed by a HEAD that tells where the
 * server stands, and the upload goes on from there, with backoff, a few times before giving up.
 */
import { api, describeReason, sessionFetch } from './api.js';
import type { Video } from './video-ui.js';

export const CHUNK_BYTES = 4 * 1024 * 1024;
/** Failed attempts in a row (PATCH or HEAD) before the upload gives up. */
export const MAX_RETRIES = 6;

/** An upload that failed for a reason the API (or the connection) gave. */
export class UploadError extends Error {
  constructor(
    readonly reason: string,
    message = describeReason(reason),
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface UploadProgress {
  /** Bytes the server holds. */
  sent: number;
  total: number;
  /** Set while the upload waits to resume after a failure. */
  retrying?: { attempt: number; of: number };
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  chunkBytes?: number;
  maxRetries?: number;
  /** The wait before the n-th retry (1-based); 0.5 s, 1 s, 2 s, … up to 8 s by default. */
  backoffMs?: (attempt: number) => number;
}

const TUS = { 'Tus-Resumable': '1.0.0' };

const defaultBackoff = (attempt: number) => Math.min(8_000, 500 * 2 ** (attempt - 1));

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The offset header as a number, or undefined when it is missing or not a byte count. */
function offsetOf(response: Response): number | undefined {
  const raw = response.headers.get('Upload-Offset');
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/** The reason code of an error answer (`{ error: { reason } }`), else one made from its status. */
async function reasonOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { reason?: string } };
    if (body.error?.reason) return body.error.reason;
  } catch {
    // not JSON: fall through
  }
  if (response.status === 413) return 'PAYLOAD_TOO_LARGE';
  if (response.status === 404) return 'VIDEO_NOT_FOUND';
  if (response.status === 429) return 'RATE_LIMITED';
  if (response.status === 401) return 'SESSION_EXPIRED';
  return `HTTP_${response.status}`;
}

/** Answers worth waiting out and retrying (the server or a proxy was briefly unable). */
const transient = (status: number) => status === 429 || status === 502 || status === 503 || status === 504;

/** Retry-After (seconds) in ms, if the answer has one. */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * Uploads `file` to `uploadUrl` (from `media.initialize`), starting at `startOffset` (what the
 * server already holds). Resolves when the server holds every byte; rejects with an UploadError (or
 * the abort reason when `signal` fires).
 */
export async function uploadBytes(
  file: Blob,
  uploadUrl: string,
  options: UploadOptions = {},
  startOffset = 0,
): Promise<void> {
  const { signal, onProgress } = options;
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const maxRetries = options.maxRetries ?? MAX_RETRIES;
  const backoff = options.backoffMs ?? defaultBackoff;
  const total = file.size;
  let offset = startOffset;
  let failures = 0;

  /** One failure more: gives up past the budget, else waits (Retry-After or backoff). */
  const failed = async (cause: string, waitMs?: number) => {
    failures += 1;
    if (failures > maxRetries) throw new UploadError(cause);
    onProgress?.({ sent: offset, total, retrying: { attempt: failures, of: maxRetries } });
    await sleep(waitMs ?? backoff(failures), signal);
  };

  /** After a failed PATCH: where does the server stand? HEAD until it answers (or the budget ends). */
  const resume = async (cause: string, waitMs?: number): Promise<void> => {
    for (;;) {
      await failed(cause, waitMs);
      waitMs = undefined;
      let head: Response;
      try {
        head = await sessionFetch(uploadUrl, { method: 'HEAD', headers: { ...TUS }, signal });
      } catch (error) {
        if (signal?.aborted) throw error;
        continue; // still offline
      }
      if (head.ok) {
        const at = offsetOf(head);
        if (at === undefined || at > total) throw new UploadError('UPLOAD_OFFSET_MISMATCH');
        offset = at;
        onProgress?.({ sent: offset, total });
        return;
      }
      if (transient(head.status)) {
        waitMs = retryAfterMs(head);
        continue;
      }
      throw new UploadError(await reasonOf(head));
    }
  };

  onProgress?.({ sent: offset, total });
  while (offset < total) {
    signal?.throwIfAborted();
    const end = Math.min(offset + chunkBytes, total);
    let response: Response;
    try {
      response = await sessionFetch(uploadUrl, {
        method: 'PATCH',
        headers: {
          ...TUS,
          'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream',
        },
        body: file.slice(offset, end),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      await resume('UPLOAD_INTERRUPTED'); // the connection dropped: the bytes may or may not be there
      continue;
    }
    if (response.status === 204 || response.ok) {
      const at = offsetOf(response) ?? end;
      if (at <= offset || at > total) {
        // The server says it holds no more than before: ask it where it stands.
        await resume('UPLOAD_OFFSET_MISMATCH');
        continue;
      }
      offset = at;
      failures = 0;
      onProgress?.({ sent: offset, total });
      continue;
    }
    if (response.status === 409) {
      const at = offsetOf(response);
      const reason = await reasonOf(response);
      if (reason === 'UPLOAD_OFFSET_MISMATCH' && at !== undefined && at <= total) {
        // We were out of step (a lost answer): carry on from where the server is.
        failures += 1;
        if (failures > maxRetries) throw new UploadError(reason);
        offset = at;
        onProgress?.({ sent: offset, total });
        continue;
      }
      throw new UploadError(reason);
    }
    if (transient(response.status)) {
      await resume('UPLOAD_INTERRUPTED', retryAfterMs(response));
      continue;
    }
    throw new UploadError(await reasonOf(response));
  }
}

/**
 * The whole upload: `media.initialize`, the bytes (resuming after drops), `media.finalize`.
 * `onCreated` tells the video id as soon as there is one. An upload that is aborted or cannot
 * finish cancels its video on the server.
 * Errors: TRPCClientError (initialize, finalize: `error.data.reason`) or UploadError.
 */
export async function uploadVideo(
  file: File,
  options: UploadOptions & { sampleFps?: number; onCreated?: (video: Video) => void } = {},
): Promise<Video> {
  const { video, uploadUrl } = await api.media.initialize.mutate({
    fileName: file.name,
    sizeBytes: file.size,
    ...(options.sampleFps ? { sampleFps: options.sampleFps } : {}),
  });
  options.onCreated?.(video);
  try {
    await uploadBytes(file, uploadUrl, options);
  } catch (error) {
    // Not left behind as a half upload: cancelled (when the server can be reached).
    await api.media.cancel.mutate({ videoId: video.id }).catch(() => undefined);
    throw error;
  }
  options.signal?.throwIfAborted();
  return (await api.media.finalize.mutate({ videoId: video.id })).video;
}
