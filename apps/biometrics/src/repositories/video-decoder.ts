/**
 * Videos -> facts and raw frames, with ffprobe and ffmpeg as child processes.
 *
 * - `videoContainer` recognises the container by its first bytes (never the file name).
 * - `probeVideo` reads duration, size and container; anything ffprobe cannot read is CORRUPT_VIDEO.
 * - `rawFrames` samples frames at a fixed rate from a start time, scaled to a bounded width, decoded
 *   by ffmpeg straight into packed RGB on its stdout: no frame is written to disk, and reading is
 *   pulled by the caller (the pipe applies back-pressure), so memory does not grow with the video.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { DomainError } from '@guardian/domain';

const run = promisify(execFile);

export type VideoContainer = 'mp4' | 'matroska' | 'avi';

/** MP4/MOV (`ftyp` box, or a QuickTime `moov`/`mdat`/`wide` first atom), WebM/MKV (EBML), AVI (RIFF…AVI). */
export function videoContainer(head: Uint8Array): VideoContainer | undefined {
  const text = (from: number, to: number) => Buffer.from(head.subarray(from, to)).toString('latin1');
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3)
    return 'matroska';
  if (head.length >= 12 && text(0, 4) === 'RIFF' && text(8, 12) === 'AVI ') return 'avi';
  if (head.length >= 8 && ['ftyp', 'moov', 'mdat', 'wide', 'free'].includes(text(4, 8))) return 'mp4';
  return undefined;
}

export interface VideoFacts {
  /** ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  format: string;
  durationMs: number;
  width: number;
  height: number;
}

export interface DecoderBinaries {
  ffmpeg: string;
  ffprobe: string;
}

const decoderMissing = (cause: unknown) =>
  new DomainError('unavailable', 'DECODER_UNAVAILABLE', 'videos cannot be decoded on this server', { cause });
const corrupt = () => new DomainError('unprocessable', 'CORRUPT_VIDEO', 'the video could not be decoded');

/** The ffprobe that sits next to `ffmpeg` (Debian ships both; a bare name is looked up on PATH). */
export function ffprobeBeside(ffmpeg: string): string {
  return ffmpeg.replace(/ffmpeg([^/]*)$/, 'ffprobe$1');
}

/** ffmpeg's first version line (`ffmpeg version 7.1.3-0+deb13u1 ...`), to say which one ran. */
export async function decoderVersion(ffmpeg: string): Promise<string> {
  try {
    const { stdout } = await run(ffmpeg, ['-hide_banner', '-version'], { timeout: 10_000 });
    return stdout.split('\n')[0]?.trim() ?? 'ffmpeg';
  } catch (error) {
    throw decoderMissing(error);
  }
}

export async function probeVideo(file: string, bin: DecoderBinaries): Promise<VideoFacts> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      bin.ffprobe,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'format=format_name,duration:stream=width,height,duration',
        '-of',
        'json',
        file,
      ],
      { timeout: 30_000, maxBuffer: 1 << 20 },
    ));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw decoderMissing(error);
    throw corrupt();
  }
  const parsed = JSON.parse(stdout) as {
    format?: { format_name?: string; duration?: string };
    streams?: Array<{ width?: number; height?: number; duration?: string }>;
  };
  const stream = parsed.streams?.[0];
  const seconds = Number(parsed.format?.duration ?? stream?.duration);
  if (!stream?.width || !stream.height || !Number.isFinite(seconds) || seconds <= 0) throw corrupt();
  return {
    format: parsed.format?.format_name ?? '',
    durationMs: Math.round(seconds * 1000),
    width: stream.width,
    height: stream.height,
  };
}

/** Output size for frames at most `maxWidth` wide, even sides (what yuv->rgb scaling wants). */
export function frameSize(facts: Pick<VideoFacts, 'width' | 'height'>, maxWidth: number) {
  const scale = Math.min(1, maxWidth / facts.width);
  const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
  return { width: even(facts.width), height: even(facts.height) };
}

export interface RawFrame {
  /** Index of the sampled frame in the whole video (frame 0 at t = 0). */
  index: number;
  tMs: number;
  pixels: Uint8Array;
  width: number;
  height: number;
}

export interface RawFramesOptions {
  fps: number;
  /** The first sampled frame to produce (a resumed job starts where it stopped). */
  startIndex: number;
  width: number;
  height: number;
}

/**
 * Sampled frames as packed RGB, in order. Stop early by breaking out of the loop (or `signal`):
 * ffmpeg is killed. A decode error after some frames ends the stream with CORRUPT_VIDEO.
 */
export async function* rawFrames(
  file: string,
  bin: DecoderBinaries,
  options: RawFramesOptions,
  signal?: AbortSignal,
): AsyncGenerator<RawFrame> {
  const { fps, startIndex, width, height } = options;
  const startSec = startIndex / fps;
  const args = [
    '-v',
    'error',
    '-nostdin',
    ...(startIndex > 0 ? ['-ss', startSec.toFixed(3)] : []),
    '-i',
    file,
    '-an',
    '-vf',
    `fps=${fps},scale=${width}:${height}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  const child: ChildProcess = spawn(bin.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let failed: unknown;
  child.on('error', (error) => (failed = decoderMissing(error)));
  // Drained so ffmpeg never blocks on a full stderr pipe; its text never reaches a client.
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  const frameBytes = width * height * 3;
  let buffer: Buffer = Buffer.alloc(0);
  let index = startIndex;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      while (buffer.length >= frameBytes) {
        // A copy: the pool transfers (detaches) what it is given, and `buffer` is reused.
        const pixels = new Uint8Array(frameBytes);
        pixels.set(buffer.subarray(0, frameBytes));
        buffer = buffer.subarray(frameBytes);
        yield { index, tMs: Math.round((index * 1000) / fps), pixels, width, height };
        index++;
      }
    }
    const code = await exited;
    if (failed) throw failed;
    if (signal?.aborted) return;
    if (code !== 0) throw corrupt();
  } finally {
    signal?.removeEventListener('abort', kill);
    if (child.exitCode === null) kill();
  }
}
