/** Messages between the pool (main thread) and its workers. Internal to repositories/inference. */
import type { BackendName, BackendPreference, InferenceOp, OpRequest, OpResult } from './types.js';

export interface WorkerData {
  /** URL of the worker module worker-entry.mjs imports (filled by the pool). */
  entry?: string;
  backend: BackendPreference;
  modelDir: string;
  warmup: boolean;
}

export interface WorkerJob<K extends InferenceOp = InferenceOp> {
  id: number;
  op: K;
  req: OpRequest[K];
}

export type ToWorker =
  | { type: 'run'; jobs: WorkerJob[]; batched: boolean }
  /** Test hook: make the worker die with an uncaught exception. */
  | { type: 'crash' };

export type JobOutcome =
  | { id: number; ok: true; result: OpResult[InferenceOp]['faces'] }
  | { id: number; ok: false; error: { name: string; message: string } };

export type FromWorker =
  | {
      type: 'ready';
      backend: BackendName;
      tfBackend: string;
      skipped: Array<{ backend: BackendName; reason: string }>;
    }
  | { type: 'init-error'; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; obj: object; msg: string }
  | { type: 'results'; outcomes: JobOutcome[]; inferenceMs: number; batchSize: number };
