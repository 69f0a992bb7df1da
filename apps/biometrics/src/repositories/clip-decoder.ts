/**
 * Short clips -> JPEG frames with ffmpeg (a child process fed through a pipe; no file is written).
 * The container is checked by its first bytes before ffmpeg sees it: WebM/Matroska (EBML header)
 * or MP4/MOV (`ftyp` box). Frames come out as a Motion-JPEG stream, cut at each image's end marker
 * (FFD9 cannot appear inside JPEG entropy data, where FF is always stuffed).
 */
import { spawn } from 'node:child_process';
import { DomainError } from '@guardian/domain';
import { videoContainer } from './video-decoder.js';

export interface ClipDecodeOptions {
  /** ffmpeg executable (a path, or a name looked up on PATH). */
  ffmpeg: string;
  fps: number;
  maxDurationMs: number;
  /** Frames are scaled down to at most this width (px). */
  maxWidth: number;
  timeoutMs?: number;
}

export interface ClipFrame {
  image: Buffer;
  tMs: number;
}

const unsupported = () =>
  new DomainError('unsupported', 'UNSUPPORTED_FORMAT', 'a liveness clip must be WebM or MP4');

/** A liveness clip's container by its first bytes: WebM/Matroska or MP4/MOV (not AVI). */
export function clipContainer(bytes: Uint8Array): 'webm' | 'mp4' | undefined {
  const container = videoContainer(bytes);
  return container === 'matroska' ? 'webm' : container === 'mp4' ? 'mp4' : undefined;
}

/** Splits a Motion-JPEG byte stream into images. */
export function splitJpegStream(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let start = stream.indexOf(Buffer.from([0xff, 0xd8]));
  while (start >= 0) {
    const end = stream.indexOf(Buffer.from([0xff, 0xd9]), start + 2);
    if (end < 0) break;
    frames.push(stream.subarray(start, end + 2));
    start = stream.indexOf(Buffer.from([0xff, 0xd8]), end + 2);
  }
  return frames;
}

/** ffmpeg's output arguments: frames at `fps`, at most `maxWidth` wide, as a Motion-JPEG stream on stdout. */
export function jpegFramesArgs(fps: number, maxWidth: number): string[] {
  return [
    '-vf',
    `fps=${fps},scale='min(${maxWidth},iw)':-2`,
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    'pipe:1',
  ];
}

export async function decodeClip(clip: Uint8Array, options: ClipDecodeOptions): Promise<ClipFrame[]> {
  const container = clipContainer(clip);
  if (!container) throw unsupported();
  const args = [
    '-v',
    'error',
    '-f',
    container === 'webm' ? 'matroska' : 'mov',
    '-i',
    'pipe:0',
    '-t',
    String(options.maxDurationMs / 1000),
    ...jpegFramesArgs(options.fps, options.maxWidth),
  ];
  const output = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(options.ffmpeg, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new DomainError(
              'unavailable',
              'VIDEO_DECODER_UNAVAILABLE',
              'clips cannot be decoded here; send frames',
              {
                cause: error,
              },
            )
          : error,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new DomainError('unprocessable', 'CORRUPT_VIDEO', 'the clip could not be decoded'));
    });
    // A clip ffmpeg stops reading early (it has its 8 s) closes the pipe: not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(clip.buffer, clip.byteOffset, clip.byteLength));
  });
  return splitJpegStream(output).map((image, i) => ({ image, tMs: Math.round((i * 1000) / options.fps) }));
}
