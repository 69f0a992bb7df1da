export * from './types.js';
export { InferencePool, type InferencePoolOptions, type PoolStats, type RunOptions } from './pool.js';
export {
  loadBackend,
  loadModels,
  defaultModelDir,
  wasmBinaryDir,
  ALL_NETS,
  type FaceApi,
  type LoadedBackend,
  type InferenceLogger,
  type NetName,
} from './backend.js';
export { installFastWasmKernels, uninstallFastWasmKernels } from './wasm-kernels.js';
export { describe, analyze, describeBatch, toTensor, detectorOptions } from './run.js';
export * from './face-checks.js';
