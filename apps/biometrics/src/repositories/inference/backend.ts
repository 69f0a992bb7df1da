/**
 * TensorFlow.js backend selection and face-api loading.
 *
 * face-api ships three CommonJS builds that differ only in which tfjs they `require`:
 *   dist/face-api.node-gpu.js  -> @tensorflow/tfjs-node-gpu (CUDA libtensorflow)
 *   dist/face-api.node.js      -> @tensorflow/tfjs-node     (CPU libtensorflow)
 *   dist/face-api.node-wasm.js -> @tensorflow/tfjs + @tensorflow/tfjs-backend-wasm
 * The build must match the installed tfjs, so choosing a backend means choosing the build. The native
 * packages are optional (their install script downloads libtensorflow, which fails offline): absent
 * means "fall back", logged, never an error. Each worker thread calls this once.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as FaceApiTypes from '@vladmandic/face-api';
import type { BackendName, BackendPreference } from './types.js';
import { installFastWasmKernels } from './wasm-kernels.js';

export type FaceApi = typeof FaceApiTypes;

/** The parts of the tfjs runtime we call that face-api's narrowed `tf` typing leaves out. */
export interface TfRuntime {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  memory(): { numTensors: number; numBytes: number };
  version?: Record<string, string>;
  setWasmPaths?(prefix: string, usePlatformFetch?: boolean): void;
}

export interface LoadedBackend {
  name: BackendName;
  /** tfjs' own backend id (`tensorflow` for tfjs-node[-gpu], `wasm`). */
  tfBackend: string;
  faceapi: FaceApi;
  tf: TfRuntime;
  /** Why preferred backends were skipped, in order (for the startup log). */
  skipped: Array<{ backend: BackendName; reason: string }>;
}

/** Minimal structured logger (pino's `Logger` satisfies it). */
export interface InferenceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: InferenceLogger = { info() {}, warn() {}, error() {} };

const require = createRequire(import.meta.url);

const BUILDS: Record<BackendName, { tfPackage: string; build: string }> = {
  gpu: { tfPackage: '@tensorflow/tfjs-node-gpu', build: '@vladmandic/face-api/dist/face-api.node-gpu.js' },
  node: { tfPackage: '@tensorflow/tfjs-node', build: '@vladmandic/face-api/dist/face-api.node.js' },
  wasm: {
    tfPackage: '@tensorflow/tfjs-backend-wasm',
    build: '@vladmandic/face-api/dist/face-api.node-wasm.js',
  },
};

const ORDER: Record<BackendPreference, BackendName[]> = {
  auto: ['gpu', 'node', 'wasm'],
  gpu: ['gpu'],
  node: ['node'],
  wasm: ['wasm'],
};

/** Directory holding face-api's model weights (inside the npm package; never fetched from a network). */
export function defaultModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Directory of tfjs-backend-wasm's `.wasm` binaries (its `dist/`), with a trailing slash. */
export function wasmBinaryDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

async function importBuild(specifier: string): Promise<FaceApi> {
  // A variable specifier keeps TypeScript from resolving the optional packages at compile time.
  const mod = (await import(specifier)) as { default?: FaceApi } & FaceApi;
  return (mod.default ?? mod) as FaceApi;
}

async function tryLoad(name: BackendName): Promise<LoadedBackend> {
  const { build } = BUILDS[name];
  const faceapi = await importBuild(build);
  const tf = faceapi.tf as unknown as TfRuntime;
  if (name === 'wasm') {
    if (typeof tf.setWasmPaths !== 'function')
      throw new Error('face-api wasm build does not expose setWasmPaths');
    // usePlatformFetch=false: emscripten reads the file with fs (Node's fetch cannot load paths).
    tf.setWasmPaths(wasmBinaryDir(), false);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    installFastWasmKernels(faceapi);
  } else {
    // Requiring tfjs-node[-gpu] registers and selects the `tensorflow` backend.
    if (tf.getBackend() !== 'tensorflow' && !(await tf.setBackend('tensorflow'))) {
      throw new Error('tf.setBackend("tensorflow") failed');
    }
  }
  await tf.ready();
  return { name, tfBackend: tf.getBackend(), faceapi, tf, skipped: [] };
}

/**
 * Loads face-api on the first usable backend allowed by `preference`. `auto` tries gpu, node, wasm;
 * an explicit choice tries only that one and throws if it is unusable.
 */
export async function loadBackend(
  preference: BackendPreference,
  logger: InferenceLogger = silentLogger,
): Promise<LoadedBackend> {
  const skipped: LoadedBackend['skipped'] = [];
  for (const name of ORDER[preference]) {
    const { tfPackage } = BUILDS[name];
    if (!isInstalled(tfPackage)) {
      const reason = `${tfPackage} is not installed`;
      skipped.push({ backend: name, reason });
      logger.info({ backend: name, reason }, 'inference backend unavailable, falling back');
      continue;
    }
    try {
      const loaded = await tryLoad(name);
      loaded.skipped = skipped;
      logger.info({ backend: loaded.name, tfBackend: loaded.tfBackend, skipped }, 'inference backend ready');
      return loaded;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ backend: name, reason });
      logger.warn({ backend: name, reason }, 'inference backend failed to load, falling back');
    }
  }
  throw new Error(
    `no usable inference backend for "${preference}": ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

export const ALL_NETS = [
  'tinyFaceDetector',
  'ssdMobilenetv1',
  'faceLandmark68Net',
  'faceRecognitionNet',
  'faceExpressionNet',
  'ageGenderNet',
] as const;
export type NetName = (typeof ALL_NETS)[number];

/** Loads the given nets' weights from disk (once per thread; face-api keeps them in module state). */
export async function loadModels(
  faceapi: FaceApi,
  modelDir: string = defaultModelDir(),
  nets: readonly NetName[] = ALL_NETS,
): Promise<void> {
  for (const net of nets) {
    if (!faceapi.nets[net].isLoaded) await faceapi.nets[net].loadFromDisk(modelDir);
  }
}
