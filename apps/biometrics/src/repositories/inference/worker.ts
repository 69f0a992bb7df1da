/**
 * Inference worker thread: loads one tfjs backend and the face-api models once, then runs jobs the
 * pool sends, one message at a time (the pool never sends a second message before the answer).
 * Started by pool.ts with `--import tsx` so this TypeScript file runs as is.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBackend, loadModels, type InferenceLogger } from './backend.js';
import type { FromWorker, JobOutcome, ToWorker, WorkerData, WorkerJob } from './protocol.js';
import { analyze, describe, describeBatch } from './run.js';
import type { AnalyzeRequest, DescribeRequest } from './types.js';

if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
const data = workerData as WorkerData;
const send = (msg: FromWorker) => port.postMessage(msg);

const logger: InferenceLogger = {
  info: (obj, msg) => send({ type: 'log', level: 'info', obj, msg }),
  warn: (obj, msg) => send({ type: 'log', level: 'warn', obj, msg }),
  error: (obj, msg) => send({ type: 'log', level: 'error', obj, msg }),
};

const failure = (id: number, error: unknown): JobOutcome => ({
  id,
  ok: false,
  error:
    error instanceof Error
      ? { name: error.name, message: error.message }
      : { name: 'Error', message: String(error) },
});

async function runOne(
  job: WorkerJob,
  faceapi: Awaited<ReturnType<typeof loadBackend>>['faceapi'],
): Promise<JobOutcome> {
  try {
    const result =
      job.op === 'describe'
        ? await describe(faceapi, job.req as DescribeRequest)
        : await analyze(faceapi, job.req as AnalyzeRequest);
    return { id: job.id, ok: true, result };
  } catch (error) {
    return failure(job.id, error);
  }
}

async function main() {
  let loaded;
  try {
    loaded = await loadBackend(data.backend, logger);
    await loadModels(loaded.faceapi, data.modelDir);
    if (data.warmup) {
      // Compile kernels / allocate buffers before the first real request.
      const image = { pixels: new Uint8Array(160 * 160 * 3).fill(128), width: 160, height: 160 };
      await describe(loaded.faceapi, { image, detector: 'tiny' });
      await describe(loaded.faceapi, { image: { ...image, pixels: image.pixels.slice() }, detector: 'ssd' });
    }
  } catch (error) {
    send({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const { faceapi } = loaded;

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'crash') {
      // Synchronously, so the worker dies before it handles any message queued behind this one.
      throw new Error('worker crash requested (test hook)');
    }
    void (async () => {
      const started = performance.now();
      let outcomes: JobOutcome[];
      if (msg.batched && msg.jobs.length > 1 && msg.jobs.every((j) => j.op === 'describe')) {
        try {
          const all = await describeBatch(
            faceapi,
            msg.jobs.map((j) => j.req as DescribeRequest),
          );
          outcomes = msg.jobs.map((j, i) => ({ id: j.id, ok: true, result: all[i] ?? [] }));
        } catch {
          // One bad input must not fail its batch mates: redo them one by one.
          outcomes = [];
          for (const job of msg.jobs) outcomes.push(await runOne(job, faceapi));
        }
      } else {
        outcomes = [];
        for (const job of msg.jobs) outcomes.push(await runOne(job, faceapi));
      }
      send({
        type: 'results',
        outcomes,
        inferenceMs: performance.now() - started,
        batchSize: msg.jobs.length,
      });
    })();
  });
  send({ type: 'ready', backend: loaded.name, tfBackend: loaded.tfBackend, skipped: loaded.skipped });
}

void main();
