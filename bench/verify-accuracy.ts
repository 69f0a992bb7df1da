/**
 * Tiny vs ssd detector: genuine / impostor descriptor distances on the test fixtures, in-process.
 * Run: npx tsx bench/verify-accuracy.ts
 */
import { readFile } from 'node:fs/promises';
import {
  describe,
  descriptorDistance,
  loadBackend,
  loadModels,
  type DetectorKind,
} from '../apps/biometrics/src/repositories/inference/index.js';
import { decodeImage } from '../apps/biometrics/src/services/image-intake.js';
import { loadFixtures } from '../apps/biometrics/test/fixtures/faces.js';

const fx = await loadFixtures();
const { faceapi, name } = await loadBackend('auto');
await loadModels(faceapi);
console.log(
  `backend ${name}; ${fx.people.length} people, ${fx.variants.length} variants of ${fx.people[0]!.id}`,
);

const one = async (file: string, detector: DetectorKind) => {
  const image = await decodeImage(await readFile(file));
  const faces = await describe(faceapi, { image, detector });
  if (faces.length !== 1) throw new Error(`${file}: ${faces.length} faces with ${detector}`);
  return faces[0]!;
};
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0]!, median: s[s.length >> 1]!, max: s.at(-1)! };
};
const f3 = (x: number) => x.toFixed(3);

const perDetector: Record<string, Record<string, Float32Array>> = {};
for (const detector of ['tiny', 'ssd'] as const) {
  const base = await one(fx.people[0]!.file, detector);
  const genuine: string[] = [];
  const gd: number[] = [];
  for (const v of fx.variants) {
    const d = descriptorDistance(base.descriptor, (await one(v.file, detector)).descriptor);
    gd.push(d);
    genuine.push(`${v.kind}=${f3(d)}`);
  }
  const desc: Record<string, Float32Array> = {};
  const scores: number[] = [];
  for (const p of fx.people) {
    const f = await one(p.file, detector);
    desc[p.id] = f.descriptor;
    scores.push(f.score);
  }
  perDetector[detector] = desc;
  const ids = Object.keys(desc);
  const sameImage: number[] = [];
  const crossImage: number[] = [];
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const d = descriptorDistance(desc[ids[i]!]!, desc[ids[j]!]!);
      pairs.push([`${ids[i]}/${ids[j]}`, d]);
      (ids[i]!.split('-')[0] === ids[j]!.split('-')[0] ? sameImage : crossImage).push(d);
    }
  }
  pairs.sort((a, b) => a[1] - b[1]);
  const g = stats(gd);
  const si = stats(sameImage);
  const ci = stats(crossImage);
  const sc = stats(scores);
  console.log(
    `\n[${detector}] detection scores on people crops: min ${f3(sc.min)} median ${f3(sc.median)} max ${f3(sc.max)}`,
  );
  console.log(`[${detector}] genuine (variants vs original): ${genuine.join(' ')}  max ${f3(g.max)}`);
  console.log(
    `[${detector}] impostor, same photo (surely different people): n=${si.n} min ${f3(si.min)} median ${f3(si.median)}`,
  );
  console.log(
    `[${detector}] impostor, across photos: n=${ci.n} min ${f3(ci.min)} median ${f3(ci.median)} max ${f3(ci.max)}`,
  );
  console.log(
    `[${detector}] lowest impostor pairs: ${pairs
      .slice(0, 4)
      .map(([k, d]) => `${k}=${f3(d)}`)
      .join(' ')}`,
  );
}
const cross: number[] = [];
for (const id of Object.keys(perDetector.tiny!))
  cross.push(descriptorDistance(perDetector.tiny![id]!, perDetector.ssd![id]!));
const c = stats(cross);
console.log(
  `\n[tiny vs ssd] same crop, descriptor distance between detectors: median ${f3(c.median)} max ${f3(c.max)}`,
);
