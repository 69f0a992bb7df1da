/**
 * Descriptors of every dev-set photo through the service's own face pipeline (image intake -> the
 * operation's detector -> 68 landmarks -> descriptor), the largest face of each photo (LFW photos are
 * centred on the named person; background faces are smaller). Quality gates are NOT applied here: the
 * detection score and face size are kept so that gates can be chosen from their distributions.
 *
 * Results are cached under `.data/lfw/<key>.json` (descriptors base64 Float32), so the calibration
 * script and later bench runs reuse them; `--fresh` in the callers ignores the cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDomainError } from '@guardian/domain';
import { parseBiometricsConfig } from '../../src/config.js';
import { InferencePool, pickFace } from '../../src/repositories/inference/index.js';
import { facePipelineOptions } from '../../src/app.js';
import {
  cascadeName,
  FacePipeline,
  type FaceOperation,
  type FacePipelineOptions,
} from '../../src/services/face-pipeline.js';
import type { LfwImage } from './dataset.js';

export interface PhotoResult {
  /** Faces the detector returned (0 = no face found). */
  faces: number;
  descriptor?: Float32Array;
  score?: number;
  /** Shorter side of the chosen face box, original px. */
  faceSide?: number;
  /** Set when intake or inference refused the photo (reason code). */
  error?: string;
}

export interface Extraction {
  key: string;
  photos: PhotoResult[];
  /** Wall-clock ms per photo at the concurrency used (undefined when read from the cache). */
  msPerPhoto?: number;
}

interface Cached {
  key: string;
  photos: Array<Omit<PhotoResult, 'descriptor'> & { descriptor?: string }>;
  msPerPhoto?: number;
}

const CACHE_DIR = path.resolve('.data/lfw');
const encode = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const decode = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Runs `describe` over every image with `concurrency` in flight, in image order. */
export async function extractAll(
  images: readonly LfwImage[],
  describe: (bytes: Buffer) => Promise<PhotoResult>,
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<{ photos: PhotoResult[]; msPerPhoto: number }> {
  const photos: PhotoResult[] = new Array<PhotoResult>(images.length);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < images.length) {
      const i = next++;
      photos[i] = await describe(await readFile(images[i]!.file));
      if (++done % 200 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { photos, msPerPhoto: (performance.now() - started) / images.length };
}

/** One photo through the service's pipeline for `op`: the largest face, no gates. */
export function pipelineDescriber(pipeline: FacePipeline, op: FaceOperation) {
  return async (bytes: Buffer): Promise<PhotoResult> => {
    try {
      const result = await pipeline.describeFaces(bytes, op, {});
      if (result.faces.length === 0) return { faces: 0 };
      const face = pickFace(result.faces, 'largest');
      return {
        faces: result.faces.length,
        descriptor: face.descriptor,
        score: face.score,
        faceSide: Math.min(face.box.width, face.box.height),
      };
    } catch (error) {
      if (isDomainError(error)) return { faces: 0, error: error.reason };
      throw error;
    }
  };
}

/** `extractAll`, cached under `key`. */
export async function cachedExtraction(
  key: string,
  images: readonly LfwImage[],
  describe: (bytes: Buffer) => Promise<PhotoResult>,
  options: { concurrency: number; fresh?: boolean; log?: (line: string) => void },
): Promise<Extraction> {
  const file = path.join(CACHE_DIR, `${key}.json`);
  if (!options.fresh && existsSync(file)) {
    const cached = JSON.parse(await readFile(file, 'utf8')) as Cached;
    if (cached.photos.length === images.length) {
      return {
        key,
        photos: cached.photos.map((p) => ({
          ...p,
          ...(p.descriptor ? { descriptor: decode(p.descriptor) } : {}),
        })) as PhotoResult[],
      };
    }
  }
  const { photos, msPerPhoto } = await extractAll(images, describe, options.concurrency, (done) =>
    options.log?.(`  ${key}: ${done}/${images.length}`),
  );
  await mkdir(CACHE_DIR, { recursive: true });
  const out: Cached = {
    key,
    msPerPhoto,
    photos: photos.map(({ descriptor, ...p }) => ({
      ...p,
      ...(descriptor ? { descriptor: encode(descriptor) } : {}),
    })),
  };
  await writeFile(file, JSON.stringify(out));
  return { key, photos, msPerPhoto };
}

/**
 * The shipped pipeline's extractions of the whole set: `verify` (probe detectors) and `enroll`
 * (template detectors). `overrides` changes the descriptor recipe for comparisons (e.g. face-api's
 * upright crop without the mirror); the cache key names what differs.
 */
export async function extractShipped(
  images: readonly LfwImage[],
  options: {
    workers: number;
    fresh?: boolean;
    overrides?: Pick<FacePipelineOptions, 'align' | 'mirror'>;
    log?: (line: string) => void;
  },
): Promise<{ verify: Extraction; enroll: Extraction; options: FacePipelineOptions; backend: string }> {
  const config = parseBiometricsConfig({ MONGO_URL: 'mongodb://unused', NATS_URL: 'nats://unused' });
  const pipelineOptions = { ...facePipelineOptions(config), ...options.overrides };
  const recipe = `${pipelineOptions.align === 'eyes' ? '-eyes' : ''}${pipelineOptions.mirror ? '-mirror' : ''}`;
  const pool = await InferencePool.start({
    workers: options.workers,
    backend: config.BIOMETRICS_INFERENCE_BACKEND,
  });
  try {
    const pipeline = new FacePipeline(pool, pipelineOptions);
    const run = (op: 'verify' | 'enroll') =>
      cachedExtraction(
        `${op}-${cascadeName(pipelineOptions.detectors[op], pipelineOptions.tinyInputSize)}${recipe}`,
        images,
        pipelineDescriber(pipeline, op),
        { concurrency: options.workers + 1, ...options },
      );
    const verify = await run('verify');
    const enroll = await run('enroll');
    return { verify, enroll, options: pipelineOptions, backend: pool.backend };
  } finally {
    await pool.close();
  }
}
