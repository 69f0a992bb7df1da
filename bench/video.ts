/**
 * Video expression analysis (apps/biometrics/src/services/video): a benchmark, not a test.
 *   npx tsx bench/video.ts [--minutes-short 1] [--minutes-long 10] [--rounds 3] [--workers N]
 *   smallest settings: --minutes-short 0.17 --minutes-long 0.34
 *
 * Videos: the test fixture's makeVideo encodes one 12 s cycle (640x480, 10 fps, MPEG-4): fixture face
 * A for 4 s, grey for 2 s, face B for 4 s, grey for 2 s; ffmpeg repeats it by stream copy to the short
 * and the long length, in a temp dir deleted at the end.
 *
 * Printed:
 * 1. which ffmpeg (decoderVersion) and which tfjs backend (the pool's) ran.
 * 2. End to end, short then long video: MediaService upload (4 MiB parts into GridFS) and finalize
 *    (ffprobe), then VideoAnalysis.run called as the job consumer's handler calls it (copy to disk,
 *    ffmpeg raw RGB through a pipe at 2 fps, the pool, tracks, thumbnails, a page per 25 frames, the
 *    summary) against a real MongoDB-wire server (test kit); no NATS: the queue message is not sent.
 *    Seconds per minute of video, and this process's RSS sampled every 500 ms during each run (the
 *    inference workers are threads of this process, so they count; ffmpeg and the database are other
 *    processes and do not). Target: max RSS long/short ≤ 1.10. Run first, so the in-memory frames of 3
 *    are not in it.
 * 3. Throughput: the short video's sampled frames decoded once into memory (rawFrames), then in
 *    alternating rounds (service, baseline, service, baseline, …) with the same pool, the same worker
 *    count and as many frames in flight as workers, committed in order:
 *    - service: poolAnalyzer (retry on a full queue, a pixel copy per frame) and analysis.ts's commit
 *      (linkFrame, a thumbnail when a track's best face improves, the page rows), no database writes;
 *    - baseline: pool.analyze({ image, detector, withDescriptors: true }) and nothing else, i.e. the
 *      worker running face-api's detectAllFaces().withFaceLandmarks().withFaceExpressions()
 *      .withFaceDescriptors() (run.ts `analyze`); its pixel copies are made before the clock starts.
 *    Target: service/baseline frames per second ≥ 0.9.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AccessClaims } from '@guardian/auth';
import { createLogger } from '@guardian/logger';
import { closeMongo, connectMongo, ensureIndexes } from '@guardian/mongo';
import { parseBiometricsConfig } from '../apps/biometrics/src/config.js';
import { InferencePool, type AnalyzedFace } from '../apps/biometrics/src/repositories/inference/index.js';
import {
  decoderVersion,
  ffprobeBeside,
  frameSize,
  probeVideo,
  rawFrames,
  type RawFrame,
} from '../apps/biometrics/src/repositories/video-decoder.js';
import {
  FRAMES_PER_PAGE,
  videoJobModel,
  VideoJobRepository,
  type StoredFrame,
} from '../apps/biometrics/src/repositories/video-job.repository.js';
import { GridFsVideoStore } from '../apps/biometrics/src/repositories/video-store.js';
import { EVENT_SOURCE } from '../apps/biometrics/src/services/face.service.js';
import { VideoAnalysis } from '../apps/biometrics/src/services/video/analysis.js';
import {
  faceThumbnail,
  frameRow,
  poolAnalyzer,
  trackFrame,
} from '../apps/biometrics/src/services/video/frames.js';
import {
  DEFAULT_SAMPLE_FPS,
  MAX_CHUNK_BYTES,
  MediaService,
} from '../apps/biometrics/src/services/video/media.service.js';
import { emptyTracker } from '../apps/biometrics/src/services/video/tracks.js';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';
import { makeVideo } from '../apps/biometrics/test/fixtures/video.js';
import { startMongo } from '../libs/testkit/src/servers.js';
import { numberArg } from './lib/args.js';

const MINUTES_SHORT = numberArg('minutes-short', 1);
const MINUTES_LONG = numberArg('minutes-long', 10);
const ROUNDS = numberArg('rounds', 3);
const WORKERS = numberArg('workers', availableParallelism());
const FPS = DEFAULT_SAMPLE_FPS;

const run = promisify(execFile);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

const dir = await mkdtemp(join(tmpdir(), 'guardian-bench-video-'));
const mongoServer = await startMongo();
const logger = createLogger('bench', { level: process.env.LOG_LEVEL ?? 'warn' });
const config = parseBiometricsConfig({
  MONGO_URL: mongoServer.url,
  NATS_URL: 'nats://unused',
  ...(process.env.BIOMETRICS_INFERENCE_BACKEND
    ? { BIOMETRICS_INFERENCE_BACKEND: process.env.BIOMETRICS_INFERENCE_BACKEND }
    : {}),
});
const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
const pool = await InferencePool.start({ workers: WORKERS, backend: config.BIOMETRICS_INFERENCE_BACKEND });
const detector = config.BIOMETRICS_VIDEO_DETECTOR;
const decoder = { ffmpeg: config.BIOMETRICS_FFMPEG, ffprobe: ffprobeBeside(config.BIOMETRICS_FFMPEG) };

try {
  // --- videos ------------------------------------------------------------------------------------
  const fx = await loadFixtures();
  const a = fx.people[0]!;
  const b = fx.people.find((p) => p.id === 's3-f0') ?? fx.people.find((p) => p.source !== a.source)!;
  const cycle = await makeVideo(join(dir, 'cycle.mp4'), [
    { image: a.file, seconds: 4 },
    { seconds: 2 },
    { image: b.file, seconds: 4 },
    { seconds: 2 },
  ]);
  const repeat = async (name: string, minutes: number) => {
    const file = join(dir, name);
    await run(decoder.ffmpeg, [
      ...['-v', 'error', '-y', '-stream_loop', '-1', '-i', cycle],
      ...['-t', String(minutes * 60), '-c', 'copy', file],
    ]);
    return file;
  };
  const shortFile = await repeat('short.mp4', MINUTES_SHORT);
  const longFile = await repeat('long.mp4', MINUTES_LONG);

  const version = await decoderVersion(decoder.ffmpeg);
  console.log(`ffmpeg: ${version}`);
  console.log(
    `tfjs backend: ${pool.backend}; ${WORKERS} inference workers; detector ${detector}; sampling ${FPS} fps; frames at most ${config.BIOMETRICS_VIDEO_MAX_WIDTH} px wide`,
  );
  console.log(
    `videos: 640x480, 10 fps, MPEG-4; a 12 s cycle of ${a.id} 4 s, grey 2 s, ${b.id} 4 s, grey 2 s, repeated to ${MINUTES_SHORT} and ${MINUTES_LONG} min`,
  );

  // --- 2. end to end -----------------------------------------------------------------------------
  const jobs = new VideoJobRepository(videoJobModel(mongo), mongo);
  const store = new GridFsVideoStore(mongo);
  await ensureIndexes(mongo);
  const media = new MediaService({
    jobs,
    store,
    decoder,
    limits: {
      maxBytes: config.BIOMETRICS_VIDEO_MAX_BYTES,
      maxDurationMs: config.BIOMETRICS_VIDEO_MAX_DURATION_SEC * 1000,
    },
    source: EVENT_SOURCE,
  });
  const analysis = new VideoAnalysis({
    jobs,
    store,
    decoder,
    decoderVersion: async () => version,
    backend: pool.backend,
    analyze: poolAnalyzer(pool, detector),
    inFlight: pool.stats().workers,
    thumbnail: faceThumbnail,
    leaseMs: config.BIOMETRICS_VIDEO_ACK_WAIT_MS,
    maxDeliver: 5, // app.ts's VIDEO_JOBS_MAX_DELIVER; a failed first delivery throws here
    maxWidth: config.BIOMETRICS_VIDEO_MAX_WIDTH,
    retainBytes: false,
    source: EVENT_SOURCE,
    logger,
  });
  const actor: AccessClaims = {
    userId: 'bench-video',
    sessionId: 'bench',
    role: 'user',
    expiresAt: new Date(Date.now() + 24 * 3_600_000),
  };

  const endToEnd = async (file: string) => {
    const bytes = await readFile(file);
    let maxRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage.rss())), 500);
    const started = performance.now();
    const created = await media.createUpload(actor, {
      fileName: 'bench.mp4',
      sizeBytes: bytes.length,
      sampleFps: FPS,
    });
    for (let offset = 0; offset < bytes.length; offset += MAX_CHUNK_BYTES)
      await media.append(actor, {
        videoId: created._id,
        offset,
        chunk: bytes.subarray(offset, offset + MAX_CHUNK_BYTES),
      });
    const queued = await media.finalize(actor, created._id);
    const uploaded = performance.now();
    await analysis.run(queued._id, { deliveryCount: 1, working: () => undefined });
    const finished = performance.now();
    clearInterval(sampler);
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
    const job = (await jobs.get(queued._id))!;
    if (job.state !== 'done') throw new Error(`the analysis ended ${job.state} ${job.failureReason}`);
    const minutes = job.durationMs / 60_000;
    return {
      minutes,
      frames: job.summary!.framesAnalyzed,
      people: job.summary!.people,
      uploadS: (uploaded - started) / 1000,
      analysisS: (finished - uploaded) / 1000,
      perMinute: (finished - started) / 1000 / minutes,
      analysisPerMinute: (finished - uploaded) / 1000 / minutes,
      maxRss,
    };
  };

  console.log(
    `\n## End to end: MediaService upload + finalize, VideoAnalysis.run (ffmpeg pipe -> pool -> tracks -> pages in MongoDB, ${mongoServer.kind}), ${FPS} fps\n`,
  );
  console.log(`RSS before: ${mb(process.memoryUsage.rss())} MB`);
  console.log(
    '| video | minutes | frames | people | upload+finalize s | analysis s | s per minute of video (analysis only) | max RSS MB |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const row = (name: string, r: Awaited<ReturnType<typeof endToEnd>>) =>
    console.log(
      `| ${name} | ${r.minutes.toFixed(2)} | ${r.frames} | ${r.people} | ${r.uploadS.toFixed(1)} | ${r.analysisS.toFixed(1)} | ${r.perMinute.toFixed(1)} (${r.analysisPerMinute.toFixed(1)}) | ${mb(r.maxRss)} |`,
    );
  const short = await endToEnd(shortFile);
  row('short', short);
  const long = await endToEnd(longFile);
  row('long', long);
  console.log(
    `\nRSS (this process: main thread + ${WORKERS} inference worker threads), sampled every 500 ms: max long/short ${(long.maxRss / short.maxRss).toFixed(2)} (target ≤ 1.10)`,
  );

  // --- 3. throughput ratio -----------------------------------------------------------------------
  const facts = await probeVideo(shortFile, decoder);
  const frames: RawFrame[] = [];
  for await (const frame of rawFrames(shortFile, decoder, {
    fps: FPS,
    startIndex: 0,
    ...frameSize(facts, config.BIOMETRICS_VIDEO_MAX_WIDTH),
  }))
    frames.push(frame);
  const inFlight = pool.stats().workers;
  const scale = facts.width / frames[0]!.width;

  /** analysis.ts's frame loop and commit, without the database writes: seconds and faces found. */
  const service = async (list: RawFrame[]) => {
    const analyze = poolAnalyzer(pool, detector);
    const signal = new AbortController().signal;
    const tracker = emptyTracker();
    let page: StoredFrame[] = [];
    let faces = 0;
    const commit = async (frame: RawFrame, found: Promise<AnalyzedFace[]>) => {
      const result = await found;
      faces += result.length;
      const ids = await trackFrame(tracker, frame, result, faceThumbnail);
      page.push(frameRow(frame, result, ids, scale));
      if (page.length === FRAMES_PER_PAGE) page = [];
    };
    const started = performance.now();
    const pending: Array<{ frame: RawFrame; found: Promise<AnalyzedFace[]> }> = [];
    for (const frame of list) {
      const found = analyze(frame, signal);
      found.catch(() => undefined);
      pending.push({ frame, found });
      if (pending.length >= inFlight) {
        const head = pending.shift()!;
        await commit(head.frame, head.found);
      }
    }
    for (const item of pending) await commit(item.frame, item.found);
    return { seconds: (performance.now() - started) / 1000, faces };
  };

  /** The same pool and window, pool.analyze only. */
  const baseline = async (list: RawFrame[]) => {
    const images = list.map((f) => ({ width: f.width, height: f.height, pixels: f.pixels.slice() }));
    const started = performance.now();
    const pending: Array<Promise<{ faces: AnalyzedFace[] }>> = [];
    let faces = 0;
    for (const image of images) {
      pending.push(pool.analyze({ image, detector, withDescriptors: true }));
      if (pending.length >= inFlight) {
        const result = await pending.shift()!;
        faces += result.faces.length;
      }
    }
    for (const item of pending) {
      const result = await item;
      faces += result.faces.length;
    }
    return { seconds: (performance.now() - started) / 1000, faces };
  };

  const warmUp = frames.slice(0, 2 * inFlight);
  await service(warmUp);
  await baseline(warmUp);
  const totals = { service: 0, baseline: 0 };
  const ratios: string[] = [];
  const found = { service: 0, baseline: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    // This machine's speed drifts within minutes: alternating rounds give both the same conditions.
    const s = await service(frames);
    const r = await baseline(frames);
    totals.service += s.seconds;
    totals.baseline += r.seconds;
    found.service = s.faces;
    found.baseline = r.faces;
    ratios.push((r.seconds / s.seconds).toFixed(2));
  }
  const fps = (seconds: number) => (frames.length * ROUNDS) / seconds;
  console.log(
    `\n## Throughput: the short video's ${frames.length} sampled frames (${frames[0]!.width}x${frames[0]!.height}, decoded once into memory), ${WORKERS} workers, ${inFlight} frames in flight, ${ROUNDS} alternating rounds\n`,
  );
  console.log(
    `service = poolAnalyzer(pool, '${detector}') + analysis.ts's in-order commit (linkFrame, thumbnails, page rows; no database writes)`,
  );
  console.log(
    `baseline = the same InferencePool: pool.analyze({ image, detector: '${detector}', withDescriptors: true }) only, i.e. face-api's detectAllFaces().withFaceLandmarks().withFaceExpressions().withFaceDescriptors() in each worker (run.ts analyze); pixels copied before the clock`,
  );
  console.log('\n| service frames/s | baseline frames/s | ratio service/baseline | target | per round |');
  console.log('| ---: | ---: | ---: | --- | --- |');
  console.log(
    `| ${fps(totals.service).toFixed(2)} | ${fps(totals.baseline).toFixed(2)} | ${(totals.baseline / totals.service).toFixed(2)} | ≥ 0.9 | ${ratios.join(', ')} |`,
  );
  console.log(`faces found per pass: service ${found.service}, baseline ${found.baseline}`);
} finally {
  await pool.close();
  await closeMongo(mongo);
  await mongoServer.stop();
  await rm(dir, { recursive: true, force: true });
}
