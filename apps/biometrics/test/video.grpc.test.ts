/**
 * MediaService over real gRPC with the real models, real ffmpeg, real NATS and the MongoDB-wire test
 * server: videos made in the test from the demo photos (person A, nobody, person B) are uploaded in
 * chunks, analysed by the job consumer and read back page by page.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { AsyncClient } from '@guardian/grpc-kit';
import type {
  MediaServiceClient,
  TimelineFrame,
  Video,
} from '@guardian/proto/gen/guardian/biometrics/v1/media';
import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMES_PER_PAGE } from '../src/repositories/video-job.repository.js';
import { failure, startBiometrics, type BiometricsHarness } from './face-harness.js';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';
import { makeVideo } from './fixtures/video.js';

let h: BiometricsHarness;
let fx: FixtureCatalogue;
let dir: string;
let twoPeople: Buffer;
const owner = 'u-video-owner';

type Auth = { accessToken: string };

/** Uploads `bytes` in chunks of `chunk` bytes and finalizes. */
export async function upload(
  media: AsyncClient<MediaServiceClient>,
  auth: Auth,
  bytes: Buffer,
  options: { fileName?: string; chunk?: number; sampleFps?: number } = {},
): Promise<Video> {
  const { video } = await media.createUpload(
    { fileName: options.fileName ?? 'clip.mp4', sizeBytes: bytes.length, sampleFps: options.sampleFps ?? 0 },
    auth,
  );
  const chunk = options.chunk ?? 256 * 1024;
  for (let offset = 0; offset < bytes.length; offset += chunk)
    await media.appendUpload(
      { videoId: video!.id, offset, chunk: bytes.subarray(offset, offset + chunk) },
      auth,
    );
  return (await media.finalizeUpload({ videoId: video!.id }, auth)).video!;
}

export async function finished(
  media: AsyncClient<MediaServiceClient>,
  auth: Auth,
  id: string,
  timeoutMs = 120_000,
) {
  return waitFor(
    async () => {
      const { video } = await media.getVideo({ videoId: id }, auth);
      return ['done', 'failed', 'cancelled'].includes(video!.state) ? video! : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `video ${id} finished` },
  );
}

/** Every frame, following cursors until `complete`. */
async function timeline(auth: Auth, id: string, pageSize = 7) {
  const frames: TimelineFrame[] = [];
  let cursor = '';
  for (let pages = 0; pages < 100; pages++) {
    const page = await h.media.getTimeline({ videoId: id, cursor, pageSize }, auth);
    frames.push(...page.frames);
    if (page.complete) return frames;
    expect(page.nextCursor).not.toBe('');
    cursor = page.nextCursor;
  }
  throw new Error('timeline never completed');
}

beforeAll(async () => {
  fx = await loadFixtures();
  dir = await mkdtemp(join(tmpdir(), 'guardian-video-test-'));
  h = await startBiometrics({ BIOMETRICS_VIDEO_MAX_DURATION_SEC: '60' });
  const a = fx.people[0]!;
  const b = fx.people.find((p) => p.id === 's3-f0') ?? fx.people.find((p) => p.source !== a.source)!;
  // A: 0-3 s, nobody: 3-5 s, B: 5-8 s.
  twoPeople = await readFile(
    await makeVideo(join(dir, 'two-people.mp4'), [
      { image: a.file, seconds: 3 },
      { seconds: 2 },
      { image: b.file, seconds: 3 },
    ]),
  );
}, 300_000);

afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('MediaService', () => {
  it('analyses an uploaded video: faces where the people are, two tracks, a summary, one event', async () => {
    const auth = { accessToken: await h.token(owner) };
    const queued = await upload(h.media, auth, twoPeople, { fileName: 'two people.mp4' });
    expect(queued).toMatchObject({ state: 'queued', fileName: 'two people.mp4', sampleFps: 2 });
    expect(queued.durationMs).toBeGreaterThan(7_500);
    expect(queued.container).toContain('mp4');

    const video = await finished(h.media, auth, queued.id);
    expect(video.state).toBe('done');
    expect(video.progress).toMatchObject({ percent: 100 });
    expect(video.decoder).toMatch(/^ffmpeg version/);
    expect(video.backend).toBe('wasm');
    expect(video.bytesRetained).toBe(false);

    const frames = await timeline(auth, video.id);
    expect(frames.map((f) => f.tMs)).toEqual(frames.map((_, i) => i * 500));
    expect(frames.length).toBe(video.summary!.framesAnalyzed);
    const faceAt = (t: number) => frames.find((f) => f.tMs === t)!.faces.length;
    for (const t of [0, 500, 1000, 1500, 2000, 2500]) expect(faceAt(t), `A at ${t} ms`).toBe(1);
    for (const t of [3500, 4000, 4500]) expect(faceAt(t), `nobody at ${t} ms`).toBe(0);
    for (const t of [5500, 6000, 6500, 7000, 7500]) expect(faceAt(t), `B at ${t} ms`).toBe(1);

    const trackAt = (t: number) => frames.find((f) => f.tMs === t)!.faces[0]!.trackId;
    expect(new Set([0, 1000, 2000].map(trackAt)).size).toBe(1);
    expect(new Set([5500, 6500, 7500].map(trackAt)).size).toBe(1);
    expect(trackAt(0)).not.toBe(trackAt(7500));

    expect(video.tracks).toHaveLength(2);
    expect(video.summary).toMatchObject({ people: 2 });
    expect(video.summary!.secondsWithoutFace).toBeGreaterThanOrEqual(1.5);
    expect(video.summary!.secondsWithoutFace).toBeLessThanOrEqual(2.5);
    const shares = Object.values(video.summary!.distribution!).reduce((sum, v) => sum + v, 0);
    expect(shares).toBeCloseTo(1, 5);
    for (const track of video.tracks) {
      expect(track.frames).toBeGreaterThanOrEqual(5);
      expect(track.thumbnailJpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(track.dominantShare).toBeGreaterThan(0);
    }

    await waitFor(() => h.events.some((e) => e.type === 'media.video.analyzed' && e.subject === video.id), {
      what: 'analyzed event',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const analyzed = h.events.filter((e) => e.type === 'media.video.analyzed' && e.subject === video.id);
    expect(analyzed).toHaveLength(1);
    expect(analyzed[0]!.data).toMatchObject({
      userId: owner,
      status: 'succeeded',
      people: 2,
      fileName: 'two people.mp4',
    });

    // Listed for its owner, invisible to anyone else, listed for an admin asking for all.
    const mine = await h.media.listVideos({ all: false, pageSize: 0, cursor: '' }, auth);
    expect(mine.videos.map((v) => v.id)).toContain(video.id);
    const other = { accessToken: await h.token('u-someone-else') };
    expect((await failure(h.media.getVideo({ videoId: video.id }, other))).reason).toBe('VIDEO_NOT_FOUND');
    expect(
      (await failure(h.media.getTimeline({ videoId: video.id, cursor: '', pageSize: 0 }, other))).reason,
    ).toBe('VIDEO_NOT_FOUND');
    expect((await failure(h.media.deleteVideo({ videoId: video.id }, other))).reason).toBe('VIDEO_NOT_FOUND');
    expect((await failure(h.media.listVideos({ all: true, pageSize: 0, cursor: '' }, other))).reason).toBe(
      'PERMISSION_DENIED',
    );
    const admin = { accessToken: await h.token('u-admin', 'admin') };
    expect(
      (await h.media.listVideos({ all: true, pageSize: 0, cursor: '' }, admin)).videos.map((v) => v.id),
    ).toContain(video.id);

    // Deleting removes the job and its results.
    await h.media.deleteVideo({ videoId: video.id }, auth);
    expect((await failure(h.media.getVideo({ videoId: video.id }, auth))).reason).toBe('VIDEO_NOT_FOUND');
    expect(await h.internals.videoJobs.pages.countDocuments({ videoId: video.id })).toBe(0);
  });

  it('resumes an interrupted upload at the offset it stands at, byte-identical', async () => {
    const auth = { accessToken: await h.token(owner) };
    const { video } = await h.media.createUpload(
      { fileName: 'resumed.mp4', sizeBytes: twoPeople.length, sampleFps: 0 },
      auth,
    );
    const id = video!.id;
    const half = Math.floor(twoPeople.length / 2);
    await h.media.appendUpload({ videoId: id, offset: 0, chunk: twoPeople.subarray(0, half) }, auth);
    // The client lost its connection and does not know what arrived: a resend at 0 is refused with where it stands.
    const stale = await failure(
      h.media.appendUpload({ videoId: id, offset: 0, chunk: twoPeople.subarray(0, 1000) }, auth),
    );
    expect(stale).toMatchObject({ code: status.ALREADY_EXISTS, reason: 'UPLOAD_OFFSET_MISMATCH' });
    expect(stale.metadata.offset).toBe(String(half));
    // Finalizing early says the upload is incomplete.
    expect((await failure(h.media.finalizeUpload({ videoId: id }, auth))).reason).toBe('UPLOAD_INCOMPLETE');
    const { video: now } = await h.media.getVideo({ videoId: id }, auth);
    expect(now!.receivedBytes).toBe(half);
    await h.media.appendUpload({ videoId: id, offset: half, chunk: twoPeople.subarray(half) }, auth);
    const copy = join(dir, 'resumed-copy');
    await h.internals.videoStore.copyTo(id, twoPeople.length, copy);
    expect((await readFile(copy)).equals(twoPeople)).toBe(true);
    await h.media.cancelVideo({ videoId: id }, auth);
  });

  it('refuses what it cannot analyse, with a reason', async () => {
    const auth = { accessToken: await h.token(owner) };
    const notVideo = await failure(upload(h.media, auth, await readFile(fx.people[0]!.file)));
    expect(notVideo.reason).toBe('UNSUPPORTED_FORMAT');
    const truncated = await failure(
      upload(h.media, auth, twoPeople.subarray(0, Math.floor(twoPeople.length * 0.6))),
    );
    expect(truncated.reason).toBe('CORRUPT_VIDEO');
    const tooBig = await failure(
      h.media.createUpload({ fileName: 'big.mp4', sizeBytes: 2 ** 40, sampleFps: 0 }, auth),
    );
    expect(tooBig).toMatchObject({ code: status.OUT_OF_RANGE, reason: 'PAYLOAD_TOO_LARGE' });
    const long = await readFile(
      await makeVideo(join(dir, 'long.mp4'), [{ seconds: 65 }], { width: 160, height: 120, fps: 2 }),
    );
    expect((await failure(upload(h.media, auth, long))).reason).toBe('VIDEO_TOO_LONG');
    const badRate = await failure(
      h.media.createUpload({ fileName: 'x.mp4', sizeBytes: 10, sampleFps: 11 }, auth),
    );
    expect(badRate.reason).toBe('INVALID_SAMPLE_RATE');
    // The refused uploads ended failed, their bytes gone.
    const { videos } = await h.media.listVideos({ all: false, pageSize: 100, cursor: '' }, auth);
    const refused = videos.filter((v) => v.state === 'failed');
    expect(refused.map((v) => v.failureReason).sort()).toEqual([
      'CORRUPT_VIDEO',
      'UNSUPPORTED_FORMAT',
      'VIDEO_TOO_LONG',
    ]);
    expect(refused.every((v) => !v.bytesRetained)).toBe(true);
  });

  it('stops a running analysis within a second of its cancellation', async () => {
    const auth = { accessToken: await h.token(owner) };
    const long = await readFile(
      await makeVideo(join(dir, 'cancel.mp4'), [{ image: fx.people[0]!.file, seconds: 40 }], { fps: 5 }),
    );
    const queued = await upload(h.media, auth, long, { sampleFps: 4 });
    await waitFor(
      async () =>
        (await h.media.getVideo({ videoId: queued.id }, auth)).video!.progress!.framesDone >= FRAMES_PER_PAGE,
      { timeoutMs: 60_000, intervalMs: 100, what: 'first page stored' },
    );
    const cancelled = (await h.media.cancelVideo({ videoId: queued.id }, auth)).video!;
    const at = Date.now();
    expect(cancelled.state).toBe('cancelled');
    await waitFor(() => h.internals.analysis.active === 0, {
      timeoutMs: 1_000,
      intervalMs: 20,
      what: 'analysis stopped',
    });
    expect(Date.now() - at).toBeLessThan(1_000);
    const pages = await h.internals.videoJobs.pages.countDocuments({ videoId: queued.id });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await h.internals.videoJobs.pages.countDocuments({ videoId: queued.id })).toBe(pages);
    expect(h.internals.pool.stats().queued).toBe(0);
    expect((await h.media.getVideo({ videoId: queued.id }, auth)).video!.state).toBe('cancelled');
    expect(h.events.some((e) => e.subject === queued.id && e.type !== 'media.video.submitted')).toBe(false);
    await writeFile(join(dir, 'unused'), '');
  });
});
