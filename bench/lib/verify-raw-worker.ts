/**
 * Baseline for bench/verify-pipeline.ts: face-api called directly in a worker thread (no pool code),
 * same backend setup, same decoded pixels. Receives {id, pixels, width, height, detector}, answers
 * {id, faces}. Stock tfjs kernels unless `workerData.fastKernels` (then the service's Concat/Slice).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type * as FaceApiTypes from '@vladmandic/face-api';
import * as faceapiModule from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { installFastWasmKernels } from '../../apps/biometrics/src/repositories/inference/wasm-kernels.js';

type FaceApi = typeof FaceApiTypes;
const faceapi = ((faceapiModule as unknown as { default?: FaceApi }).default ??
  faceapiModule) as unknown as FaceApi;
const tf = faceapi.tf as unknown as {
  setWasmPaths(p: string, f: boolean): void;
  setBackend(n: string): Promise<boolean>;
  ready(): Promise<void>;
};
const require = createRequire(import.meta.url);
const pkg = (name: string) => dirname(require.resolve(`${name}/package.json`));

tf.setWasmPaths(join(pkg('@tensorflow/tfjs-backend-wasm'), 'dist') + '/', false);
await tf.setBackend('wasm');
await tf.ready();
if ((workerData as { fastKernels?: boolean }).fastKernels) installFastWasmKernels(faceapi);
const modelDir = join(pkg('@vladmandic/face-api'), 'model');
await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

interface Job {
  id: number;
  pixels: Uint8Array;
  width: number;
  height: number;
  detector: 'tiny' | 'ssd';
  /** face-api's own single-face call with its defaults (SSD, min confidence 0.5): answers the descriptor. */
  single?: boolean;
}

parentPort!.on('message', async (m: Job) => {
  const t = faceapi.tf.tensor3d(m.pixels, [m.height, m.width, 3], 'int32');
  if (m.single) {
    const face = await faceapi.detectSingleFace(t).withFaceLandmarks().withFaceDescriptor();
    t.dispose();
    parentPort!.postMessage({ id: m.id, faces: face ? 1 : 0, descriptor: face?.descriptor });
    return;
  }
  {
    const options =
      m.detector === 'tiny'
        ? new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 })
        : new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 20 });
    const faces = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors();
    t.dispose();
    parentPort!.postMessage({ id: m.id, faces: faces.length });
  }
});
parentPort!.postMessage({ ready: true });
