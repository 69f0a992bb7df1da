/**
 * Face decisions on real photos: Labeled Faces in the Wild (the dev set in ../shared/datasets/lfw-dev).
 *   npm run bench -- lfw [DIR] [PAIRS] [--fresh] [--ablation] [--no-service]
 *
 * Every photo goes through the service's own pipeline (image intake -> detector -> 68 landmarks ->
 * descriptor, configured by the same `facePipelineOptions` the service uses) once with the detector
 * Verify / face sign-in use (probes) and once with the one Enroll uses (templates); the largest face of
 * each photo is taken (LFW centres the named person). In the same run, the baseline is raw face-api:
 * `detectSingleFace` with its defaults (SSD), Euclidean distance on raw descriptors.
 *
 * Printed per pipeline: LFW-protocol accuracy (5 folds, threshold chosen on the other four) mean ± sd;
 * over ALL dev-set pairs (every same-person pair of different photos, every cross-person pair): TAR at
 * FAR 1e-2 and 1e-3 and the EER; photos with no face found; ms per photo (2 workers). Then the shipped
 * decisions: FMR / FNMR at the Verify threshold, Compare's levels, the quality gates' cost, 1:N rank-1
 * and impostor acceptance at the shipped 1:N threshold, and one fold through the service's gRPC Compare.
 * `--ablation` adds the shipped detectors with face-api's own descriptor crop (upright, no mirror).
 *
 * Descriptors are cached under .data/lfw/ (`--fresh` recomputes; ms per photo is only printed then).
 */
import path from 'node:path';
import { cascadeName } from '../apps/biometrics/src/services/face-pipeline.js';
import { decodeImage } from '../apps/biometrics/src/services/image-intake.js';
import { DEFAULT_LFW_DIR, loadLfw } from '../apps/biometrics/test/lfw/dataset.js';
import { cachedExtraction, extractShipped, type Extraction } from '../apps/biometrics/test/lfw/extract.js';
import { startRawFaceApi } from './lib/raw-face-api.js';
import { analyse } from './lib/lfw-report.js';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
const dir = path.resolve(positional[0] ?? DEFAULT_LFW_DIR);
const pairsFile = positional[1] ? path.resolve(positional[1]) : path.join(dir, 'pairs.txt');
const fresh = args.includes('--fresh');
const workers = Number(process.env.BIOMETRICS_INFERENCE_WORKERS ?? 2);

const set = await loadLfw(dir, pairsFile);
console.log(
  `LFW dev set: ${set.images.length} photos of ${set.byPerson.size} people, ${set.pairs.length} protocol pairs in ${set.folds} folds (${dir})`,
);
const log = (line: string) => console.log(line);
const shipped = await extractShipped(set.images, { workers, fresh, log });
console.log(
  `backend ${shipped.backend}, ${workers} workers; detectors (in order until one finds a face): verify=${cascadeName(shipped.options.detectors.verify)} enroll=${cascadeName(shipped.options.detectors.enroll)} compare=${cascadeName(shipped.options.detectors.compare)}; descriptor: ${shipped.options.align === 'eyes' ? 'eye-aligned chip' : 'upright box'}${shipped.options.mirror ? ' + mirror' : ''}`,
);
const extractions: Record<string, Extraction> = { verify: shipped.verify, enroll: shipped.enroll };
if (args.includes('--ablation')) {
  // The same detectors with face-api's own descriptor crop (upright box, no mirror).
  const m = await extractShipped(set.images, {
    workers,
    fresh,
    log,
    overrides: { align: 'box', mirror: false },
  });
  extractions['verify-box'] = m.verify;
  extractions['enroll-box'] = m.enroll;
}

const raw = await startRawFaceApi(workers);
extractions.raw = await cachedExtraction(
  'raw-faceapi-ssd',
  set.images,
  async (bytes) => {
    const descriptor = await raw.describeSingle(await decodeImage(bytes));
    return descriptor ? { faces: 1, descriptor } : { faces: 0 };
  },
  { concurrency: workers + 1, fresh, log },
);
await raw.close();

if (args.includes('--extract-only')) process.exit(0);
await analyse(set, extractions, { service: !args.includes('--no-service') });
