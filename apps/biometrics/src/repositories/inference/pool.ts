/**
 * Worker-thread inference pool with a bounded queue.
 *
 * - N workers (default: os.availableParallelism()), each with its own tfjs backend and models.
 * - A job runs on one idle worker; others wait in a FIFO queue of at most `maxQueue` entries. A full
 *   queue answers DomainError('exhausted', 'INFERENCE_QUEUE_FULL', { retryAfterMs }) at once.
 * - Per-request AbortSignal and deadline: a queued job whose caller is gone is removed and never
 *   runs; a running one cannot be interrupted (wasm/TF kernels are synchronous) — its caller is
 *   answered at once and the result is discarded.
 * - Pixel buffers are transferred (zero-copy) to the worker: after describe()/analyze() the caller's
 *   `image.pixels` is detached. Pass a copy if you still need the pixels.
 * - A crashed worker fails its in-flight jobs with 'unavailable/INFERENCE_WORKER_CRASHED' and is
 *   replaced (with backoff when it keeps failing to start).
 * - Micro-batching (several describe jobs in one worker call, batched landmark/descriptor forward
 *   passes) is on by default only on the GPU backend; see docs/inference.md.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DomainError } from '@guardian/domain';
import { defaultModelDir, silentLogger, type InferenceLogger } from './backend.js';
import type { FromWorker, JobOutcome, ToWorker, WorkerData, WorkerJob } from './protocol.js';
import { DEFAULT_TINY_INPUT_SIZE } from './run.js';
import type {
  AnalyzeRequest,
  AnalyzeResult,
  BackendName,
  BackendPreference,
  DescribeRequest,
  DescribeResult,
  InferenceOp,
  OpRequest,
  OpResult,
} from './types.js';

export interface InferencePoolOptions {
  /** Worker threads (default os.availableParallelism()). */
  workers?: number;
  /** Jobs allowed to wait for a worker (default 4 per worker, at least 8). */
  maxQueue?: number;
  /** Backend preference (default 'auto'). */
  backend?: BackendPreference;
  modelDir?: string;
  /** Deadline applied when the caller gives none (default 30 s). */
  defaultTimeoutMs?: number;
  /** 'auto' (default): micro-batch only on the gpu backend. true/false force it. */
  microBatch?: boolean | 'auto';
  /** Most describe jobs sent to a worker in one call when micro-batching (default 8). */
  maxBatch?: number;
  /** Run a warm-up inference in each worker before reporting ready (default true). */
  warmup?: boolean;
  logger?: InferenceLogger;
}

export interface RunOptions {
  /** The caller's cancellation (e.g. the gRPC call's). */
  signal?: AbortSignal;
  /** Deadline for this request; overrides the pool default. */
  timeoutMs?: number;
}

export interface PoolStats {
  backend: BackendName;
  workers: number;
  busyWorkers: number;
  queued: number;
  maxQueue: number;
  microBatch: boolean;
  /** Jobs handed to a worker (each counted once, batched or not). */
  dispatched: number;
  completed: number;
  failed: number;
  rejectedQueueFull: number;
  /** Jobs removed from the queue because their caller aborted or their deadline passed (never ran). */
  droppedBeforeRun: number;
  /** Jobs whose caller left while a worker was running them (result discarded). */
  abandonedWhileRunning: number;
  workerRestarts: number;
  /** Smoothed worker time per job, ms (used for retry advice). */
  avgServiceMs: number;
}

interface Job {
  id: number;
  op: InferenceOp;
  req: OpRequest[InferenceOp];
  enqueuedAt: number;
  dispatchedAt: number;
  state: 'queued' | 'running' | 'settled';
  resolve(value: OpResult[InferenceOp]): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  running: Job[];
  failures: number;
}

/**
 * Workers start from a plain-JS entry that registers tsx inside the thread and then imports worker.ts:
 * Node 20 ignores `--import tsx` in a Worker's execArgv for the worker's entry (nodejs/node#47747).
 */
const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);
const WORKER_MODULE = new URL('./worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url)
  .href;

export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private activeBackend: BackendName = 'wasm';
  private batching = false;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly defaultTimeoutMs: number;
  private readonly logger: InferenceLogger;
  private readonly workerData: WorkerData;
  private avgServiceMs = 300;
  private readonly counters = {
    dispatched: 0,
    completed: 0,
    failed: 0,
    rejectedQueueFull: 0,
    droppedBeforeRun: 0,
    abandonedWhileRunning: 0,
    workerRestarts: 0,
  };

  private constructor(
    private readonly size: number,
    private readonly options: InferencePoolOptions,
  ) {
    this.maxQueue = options.maxQueue ?? Math.max(8, 4 * size);
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.logger = options.logger ?? silentLogger;
    this.workerData = {
      backend: options.backend ?? 'auto',
      modelDir: options.modelDir ?? defaultModelDir(),
      warmup: options.warmup ?? true,
    };
  }

  /** Starts the workers and resolves once every one has loaded its backend and models. */
  static async start(options: InferencePoolOptions = {}): Promise<InferencePool> {
    const size = options.workers ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`workers must be a positive integer, got ${size}`);
    const pool = new InferencePool(size, options);
    try {
      await Promise.all(Array.from({ length: size }, (_, i) => pool.spawn(i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    const mb = options.microBatch ?? 'auto';
    pool.batching = mb === 'auto' ? pool.activeBackend === 'gpu' : mb;
    pool.logger.info(
      { backend: pool.activeBackend, workers: size, maxQueue: pool.maxQueue, microBatch: pool.batching },
      'inference pool ready',
    );
    return pool;
  }

  /** The backend the workers run on (reported in health, metrics and logs). */
  get backend(): BackendName {
    return this.activeBackend;
  }

  /** Detect all faces with 68 landmarks and a 128-d descriptor. Transfers `req.image.pixels`. */
  describe(req: DescribeRequest, options: RunOptions = {}): Promise<DescribeResult> {
    return this.submit('describe', req, options) as Promise<DescribeResult>;
  }

  /** Detect all faces with landmarks, expressions and optional age/gender. Transfers `req.image.pixels`. */
  analyze(req: AnalyzeRequest, options: RunOptions = {}): Promise<AnalyzeResult> {
    return this.submit('analyze', req, options) as Promise<AnalyzeResult>;
  }

  stats(): PoolStats {
    return {
      backend: this.activeBackend,
      workers: this.slots.length,
      busyWorkers: this.slots.filter((s) => s.running.length > 0).length,
      queued: this.queue.length,
      maxQueue: this.maxQueue,
      microBatch: this.batching,
      ...this.counters,
      avgServiceMs: Math.round(this.avgServiceMs),
    };
  }

  /** Rejects queued jobs, waits for nothing, terminates the workers. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const gone = () =>
      new DomainError('unavailable', 'INFERENCE_POOL_CLOSED', 'inference pool is shutting down');
    for (const job of this.queue.splice(0)) this.settle(job, undefined, gone());
    for (const slot of this.slots)
      for (const job of slot.running.splice(0)) this.settle(job, undefined, gone());
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Test hook: makes one worker die with an uncaught exception (it is then replaced). */
  crashWorkerForTest(index = 0): void {
    this.slots[index]?.worker.postMessage({ type: 'crash' } satisfies ToWorker);
  }

  // ---------------------------------------------------------------------------------------------

  private submit(
    op: InferenceOp,
    req: OpRequest[InferenceOp],
    options: RunOptions,
  ): Promise<OpResult[InferenceOp]> {
    if (this.closing)
      return Promise.reject(
        new DomainError('unavailable', 'INFERENCE_POOL_CLOSED', 'inference pool is closed'),
      );
    try {
      validate(req);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.length >= this.maxQueue && !this.idleSlot()) {
      this.counters.rejectedQueueFull++;
      return Promise.reject(
        new DomainError('exhausted', 'INFERENCE_QUEUE_FULL', 'inference queue is full, retry later', {
          retryAfterMs: this.retryAfterMs(),
          metadata: { queued: String(this.queue.length), workers: String(this.slots.length) },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
      const job: Job = {
        id: this.nextId++,
        op,
        req: { ...req, image: { ...req.image, pixels: transferable(req.image.pixels) } },
        enqueuedAt: performance.now(),
        dispatchedAt: 0,
        state: 'queued',
        resolve,
        reject,
        cleanup: () => {},
      };
      const abandon = (reason: unknown) => {
        if (job.state === 'queued') {
          const at = this.queue.indexOf(job);
          if (at >= 0) this.queue.splice(at, 1);
          this.counters.droppedBeforeRun++;
        } else if (job.state === 'running') {
          this.counters.abandonedWhileRunning++;
        }
        this.settle(job, undefined, reason);
      };
      const timer = setTimeout(
        () =>
          abandon(
            new DomainError(
              'unavailable',
              'INFERENCE_TIMEOUT',
              `inference did not finish within ${timeoutMs} ms`,
              {
                retryAfterMs: this.retryAfterMs(),
              },
            ),
          ),
        timeoutMs,
      );
      const onAbort = () => abandon(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      job.cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.queue.push(job);
      this.pump();
    });
  }

  private idleSlot(): Slot | undefined {
    return this.slots.find((s) => s.ready && s.running.length === 0);
  }

  private pump(): void {
    for (let slot = this.idleSlot(); slot && this.queue.length > 0; slot = this.idleSlot()) {
      const first = this.queue.shift()!;
      const jobs = [first];
      if (this.batching && first.op === 'describe') {
        for (let i = 0; i < this.queue.length && jobs.length < this.maxBatch;) {
          if (this.queue[i]!.op === 'describe') jobs.push(...this.queue.splice(i, 1));
          else i++;
        }
      }
      const now = performance.now();
      for (const job of jobs) {
        job.state = 'running';
        job.dispatchedAt = now;
      }
      slot.running = jobs;
      this.counters.dispatched += jobs.length;
      const message: ToWorker = {
        type: 'run',
        batched: jobs.length > 1,
        jobs: jobs.map((j): WorkerJob => ({ id: j.id, op: j.op, req: j.req })),
      };
      slot.worker.postMessage(
        message,
        jobs.map((j) => j.req.image.pixels.buffer as ArrayBuffer),
      );
    }
  }

  private onResults(slot: Slot, outcomes: JobOutcome[], inferenceMs: number, batchSize: number): void {
    const jobs = slot.running;
    slot.running = [];
    this.avgServiceMs = 0.8 * this.avgServiceMs + 0.2 * (inferenceMs / Math.max(1, batchSize));
    for (const outcome of outcomes) {
      const job = jobs.find((j) => j.id === outcome.id);
      if (!job) continue;
      if (outcome.ok) {
        this.counters.completed++;
        const req = job.req;
        const result = {
          backend: this.activeBackend,
          detector: req.detector,
          width: req.image.width,
          height: req.image.height,
          scale: req.image.scale ?? 1,
          queuedMs: job.dispatchedAt - job.enqueuedAt,
          inferenceMs,
          batchSize,
          faces: outcome.result,
        } as OpResult[InferenceOp];
        this.settle(job, result);
      } else {
        this.counters.failed++;
        const { name, message } = outcome.error;
        this.settle(
          job,
          undefined,
          name === 'RangeError'
            ? new DomainError('invalid', 'INVALID_INFERENCE_REQUEST', message)
            : new Error(`inference failed: ${message}`),
        );
      }
    }
    this.pump();
  }

  private settle(job: Job, value: OpResult[InferenceOp] | undefined, error?: unknown): void {
    if (job.state === 'settled') return;
    job.state = 'settled';
    job.cleanup();
    if (error !== undefined || value === undefined) job.reject(error);
    else job.resolve(value);
  }

  private retryAfterMs(): number {
    const busy = this.slots.filter((s) => s.running.length > 0).length;
    const ahead = this.queue.length + busy;
    return Math.round(
      Math.min(10_000, Math.max(100, (ahead * this.avgServiceMs) / Math.max(1, this.slots.length))),
    );
  }

  private spawn(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_ENTRY, {
        workerData: { ...this.workerData, entry: WORKER_MODULE },
        execArgv: [],
        name: `inference-${index}`,
      });
      const previous = this.slots[index];
      const slot: Slot = { index, worker, ready: false, running: [], failures: previous?.failures ?? 0 };
      this.slots[index] = slot;
      let settled = false;
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            slot.ready = true;
            slot.failures = 0;
            this.activeBackend = msg.backend;
            settled = true;
            resolve();
            this.pump();
            break;
          case 'init-error':
            if (!settled) {
              settled = true;
              reject(new Error(`inference worker ${index} failed to start: ${msg.message}`));
            }
            void worker.terminate();
            break;
          case 'log':
            this.logger[msg.level]({ ...msg.obj, worker: index }, msg.msg);
            break;
          case 'results':
            this.onResults(slot, msg.outcomes, msg.inferenceMs, msg.batchSize);
            break;
        }
      });
      worker.on('error', (error) => {
        this.logger.error({ worker: index, err: error.message }, 'inference worker error');
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      worker.on('exit', (code) => {
        if (this.slots[index] !== slot) return;
        slot.ready = false;
        for (const job of slot.running.splice(0)) {
          this.counters.failed++;
          this.settle(
            job,
            undefined,
            new DomainError(
              'unavailable',
              'INFERENCE_WORKER_CRASHED',
              'inference worker stopped while running the request',
              {
                retryAfterMs: this.retryAfterMs(),
              },
            ),
          );
        }
        if (this.closing || !settled) return;
        slot.failures++;
        this.counters.workerRestarts++;
        const delay = Math.min(30_000, 250 * 2 ** (slot.failures - 1));
        this.logger.warn({ worker: index, code, restartInMs: delay }, 'inference worker exited, restarting');
        setTimeout(() => {
          if (this.closing) return;
          this.spawn(index).catch((error: unknown) =>
            this.logger.error({ worker: index, err: String(error) }, 'inference worker restart failed'),
          );
        }, delay).unref();
      });
    });
  }
}

function validate(req: DescribeRequest | AnalyzeRequest): void {
  const { image } = req;
  if (!(image?.pixels instanceof Uint8Array))
    throw new DomainError('invalid', 'INVALID_INFERENCE_REQUEST', 'image.pixels must be a Uint8Array');
  if (
    !Number.isInteger(image.width) ||
    !Number.isInteger(image.height) ||
    image.width < 1 ||
    image.height < 1
  ) {
    throw new DomainError(
      'invalid',
      'INVALID_INFERENCE_REQUEST',
      'image width/height must be positive integers',
    );
  }
  if (image.pixels.length !== image.width * image.height * 3) {
    throw new DomainError(
      'invalid',
      'INVALID_INFERENCE_REQUEST',
      `expected ${image.width}x${image.height}x3 RGB bytes`,
    );
  }
  if (req.detector !== 'tiny' && req.detector !== 'ssd') {
    throw new DomainError('invalid', 'INVALID_INFERENCE_REQUEST', `unknown detector ${String(req.detector)}`);
  }
  const inputSize = req.inputSize ?? DEFAULT_TINY_INPUT_SIZE;
  if (!Number.isInteger(inputSize) || inputSize % 32 !== 0 || inputSize < 128 || inputSize > 1024) {
    throw new DomainError(
      'invalid',
      'INVALID_INFERENCE_REQUEST',
      'inputSize must be a multiple of 32 in 128..1024',
    );
  }
}

/** A view that owns its whole, transferable ArrayBuffer (copies pooled/shared/offset views once). */
function transferable(pixels: Uint8Array): Uint8Array {
  const { buffer, byteOffset, byteLength } = pixels;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return pixels;
  return pixels.slice();
}
