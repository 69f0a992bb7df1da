// Plain-JS entry for inference workers. Node 20 does not apply `--import tsx` from a Worker's
// execArgv to the worker's own entry module (nodejs/node#47747), so the pool starts this file, which
// registers tsx inside the thread and then imports the TypeScript worker.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
