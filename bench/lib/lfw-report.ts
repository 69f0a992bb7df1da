/**
 * The figures bench/lfw.ts prints, from the descriptors it extracted (see there for what is measured).
 */
import {
  clopperPearson,
  countAtOrBelow,
  equalErrorRate,
  foldAccuracy,
  tarAtFar,
} from '../../apps/biometrics/test/lfw/metrics.js';
import {
  allPairs,
  galleryRun,
  multiSampleRun,
  protocolPairs,
  type Scored,
} from '../../apps/biometrics/test/lfw/pairs.js';
import type { LfwSet } from '../../apps/biometrics/test/lfw/dataset.js';
import type { Extraction, PhotoResult } from '../../apps/biometrics/test/lfw/extract.js';
import {
  CALIBRATION,
  DEFAULT_VERIFY_THRESHOLD,
  FMR_LEVELS,
  identifyThreshold,
  verifyThreshold,
} from '../../apps/biometrics/src/services/matching.js';
import { DEFAULT_FACE_CHECKS } from '../../apps/biometrics/src/repositories/inference/index.js';
import { isDomainError } from '@guardian/domain';
import { readFile } from 'node:fs/promises';
import { startBiometricsService } from './biometrics-service.js';

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const f4 = (x: number) => x.toFixed(4);
const sci = (x: number) => x.toExponential(1);

function row(cells: Array<string | number>) {
  console.log(`| ${cells.join(' | ')} |`);
}

export interface AnalyseOptions {
  service: boolean;
}

/** One comparison set-up: templates from `a`, probes from `b`, normalised or raw descriptors. */
interface Setup {
  name: string;
  a: Extraction;
  b: Extraction;
  normalise: boolean;
}

export async function analyse(set: LfwSet, ex: Record<string, Extraction>, options: AnalyseOptions) {
  const verify = ex.verify!;
  const enroll = ex.enroll!;
  const setups: Setup[] = [
    { name: 'raw face-api (SSD defaults, raw Euclidean)', a: ex.raw!, b: ex.raw!, normalise: false },
    { name: 'service Verify (enroll template × verify probe)', a: enroll, b: verify, normalise: true },
    { name: 'service Compare (enroll pipeline both sides)', a: enroll, b: enroll, normalise: true },
  ];
  if (ex['verify-box'] && ex['enroll-box']) {
    setups.push({
      name: "same detectors, face-api's upright crop, no mirror",
      a: ex['enroll-box'],
      b: ex['verify-box'],
      normalise: true,
    });
  }

  console.log('\n## Accuracy (protocol: 5 folds; TAR/EER: over all dev-set pairs)\n');
  row([
    'pipeline',
    'accuracy mean ± sd',
    'TAR @ FAR 1e-2',
    'TAR @ FAR 1e-3',
    'EER',
    'no face (a / b)',
    'ms/photo (a / b)',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  const all = new Map<string, Scored>();
  for (const s of setups) {
    const acc = foldAccuracy(protocolPairs(set, s.a.photos, s.b.photos, s.normalise), set.folds);
    const scored = allPairs(set, s.a.photos, s.b.photos, s.normalise);
    all.set(s.name, scored);
    const { genuine, impostor } = scored;
    const noFace = (e: Extraction) => {
      const n = e.photos.filter((p) => !p.descriptor).length;
      return `${n} (${pct(n / e.photos.length)})`;
    };
    const ms = (e: Extraction) => (e.msPerPhoto ? e.msPerPhoto.toFixed(1) : 'cached');
    row([
      s.name,
      `${pct(acc.mean)} ± ${pct(acc.sd)}`,
      pct(tarAtFar(genuine, impostor, 1e-2).tar),
      pct(tarAtFar(genuine, impostor, 1e-3).tar),
      pct(equalErrorRate(genuine, impostor).eer),
      s.a === s.b ? noFace(s.a) : `${noFace(s.a)} / ${noFace(s.b)}`,
      s.a === s.b ? ms(s.a) : `${ms(s.a)} / ${ms(s.b)}`,
    ]);
  }
  const v = all.get(setups[1]!.name)!;
  console.log(
    `\nAll-pairs counts: ${v.genuine.length} genuine, ${v.impostor.length} impostor (Verify set-up, both orders).`,
  );

  console.log(`\n## Shipped decisions (calibration ${CALIBRATION.generatedAt})\n`);
  row(['operation', 'threshold (distance)', 'FMR (impostors accepted)', '95% CI', 'FNMR (genuine refused)']);
  row(['---', '---:', '---:', '---', '---:']);
  const decision = (name: string, scored: Scored, t: number) => {
    const fm = countAtOrBelow(scored.impostor, t);
    const ci = clopperPearson(fm, scored.impostor.length);
    const fnmr = 1 - countAtOrBelow(scored.genuine, t) / scored.genuine.length;
    row([
      name,
      f4(t),
      `${sci(fm / scored.impostor.length)} (${fm})`,
      `${sci(ci[0])}..${sci(ci[1])}`,
      pct(fnmr),
    ]);
  };
  decision('Verify (default)', v, DEFAULT_VERIFY_THRESHOLD);
  const c = all.get(setups[2]!.name)!;
  for (const level of FMR_LEVELS) decision(`Compare at ${level}`, c, CALIBRATION.thresholds[level]);

  console.log('\nTemplates from several photos (people with more than 3 photos; same probes for each size):');
  for (const samples of [1, 2, 3]) {
    const m = multiSampleRun(set, enroll.photos, verify.photos, samples, 3);
    const at = (t: number) => {
      const fm = countAtOrBelow(m.impostor, t);
      const fnmr = 1 - countAtOrBelow(m.genuine, t) / m.genuine.length;
      return `FNMR ${pct(fnmr)}, FMR ${sci(fm / m.impostor.length)} (${fm} of ${m.impostor.length})`;
    };
    console.log(
      `  ${samples} photo(s) per template (${m.templates} templates, ${m.genuine.length} genuine probes): at the 1-photo threshold ${f4(DEFAULT_VERIFY_THRESHOLD)} ${at(DEFAULT_VERIFY_THRESHOLD)}; at the shipped ${samples}-photo threshold ${f4(verifyThreshold(samples))} ${at(verifyThreshold(samples))}`,
    );
  }

  gates(verify);
  oneToMany(set, enroll, verify);
  if (options.service) await throughTheApi(set, enroll);
}

/** Fold 0 of the protocol through the running service's gRPC Compare: the same decisions? */
async function throughTheApi(set: LfwSet, enroll: Extraction) {
  const pairs = set.pairs.filter((p) => p.fold === 0);
  const local = protocolPairs(set, enroll.photos, enroll.photos, true).filter((p) => p.fold === 0);
  const service = await startBiometricsService(2);
  let agree = 0;
  let right = 0;
  const refusals = new Map<string, number>();
  try {
    for (const [i, p] of pairs.entries()) {
      const image = async (k: number) => ({
        source: { $case: 'data' as const, value: await readFile(set.images[k]!.file) },
      });
      let same = false;
      try {
        const r = await service.client.compare(
          { image1: await image(p.a), image2: await image(p.b), largestFace: true },
          { accessToken: service.admin },
        );
        same = r.samePerson;
      } catch (error) {
        const reason = isDomainError(error) ? error.reason : 'ERROR';
        refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
      }
      if (same === local[i]!.distance <= DEFAULT_VERIFY_THRESHOLD) agree++;
      if (same === p.same) right++;
    }
  } finally {
    await service.stop();
  }
  console.log(
    `\n## Fold 0 through gRPC Compare (largest_face, ${service.backend})\n\n${pairs.length} pairs: ${agree} decisions equal to the in-process pipeline's at the Verify threshold; accuracy at that threshold ${pct(right / pairs.length)}; refusals ${JSON.stringify(Object.fromEntries(refusals))}`,
  );
}

/** Quality gates on the verify photos: distributions and what each gate value costs. */
function gates(verify: Extraction) {
  const found = verify.photos.filter((p): p is PhotoResult & { score: number; faceSide: number } =>
    Boolean(p.descriptor),
  );
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;
  const scores = found.map((p) => p.score);
  const sides = found.map((p) => p.faceSide);
  console.log('\n## Quality gates (verify detector, largest face per photo)\n');
  console.log(
    `detection score p1 ${q(scores, 0.01).toFixed(3)}, p5 ${q(scores, 0.05).toFixed(3)}, p10 ${q(scores, 0.1).toFixed(3)}, median ${q(scores, 0.5).toFixed(3)}`,
  );
  console.log(
    `face side px p1 ${q(sides, 0.01).toFixed(0)}, p5 ${q(sides, 0.05).toFixed(0)}, median ${q(sides, 0.5).toFixed(0)} (LFW photos are 250 px)`,
  );
  for (const gate of [0.5, 0.55, 0.6, 0.7]) {
    const refused = found.filter((p) => p.score < gate).length;
    console.log(
      `  score gate ${gate}: refuses ${refused} of ${found.length} photos with a face (${pct(refused / found.length)})${gate === DEFAULT_FACE_CHECKS.minQualityScore ? '  <- shipped' : ''}`,
    );
  }
  for (const side of [48, 64, 80]) {
    const refused = found.filter((p) => p.faceSide < side).length;
    console.log(
      `  face-size gate ${side} px: refuses ${refused} (${pct(refused / found.length)})${side === DEFAULT_FACE_CHECKS.minFaceSize ? '  <- shipped' : ''}`,
    );
  }
}

/** 1:N: every identity enrolled from its first photo; probes are its other photos. */
function oneToMany(set: LfwSet, enroll: Extraction, verify: Extraction) {
  const g = galleryRun(set, enroll.photos, verify.photos);
  const n = g.gallerySize;
  console.log(
    `\n## 1:N (gallery ${n} identities, one photo each; ${g.genuineProbes} genuine probes, ${g.impostorProbes} impostor probes, leave-own-identity-out)\n`,
  );
  row([
    'threshold',
    'distance',
    'rank-1 identified',
    'sign-in accepted (no runner-up within threshold)',
    'impostor probes accepted',
  ]);
  row(['---', '---:', '---:', '---:', '---:']);
  const shipped = identifyThreshold(n);
  const candidates: Array<[string, number]> = [
    [`shipped 1:N at N=${n} (FPIR ${sci(CALIBRATION.identifyFpir)})`, shipped],
    ['Verify default', DEFAULT_VERIFY_THRESHOLD],
    ...FMR_LEVELS.map((l) => [`FMR ${l}`, CALIBRATION.thresholds[l]] as [string, number]),
  ];
  for (const [name, t] of candidates) {
    const r = g.at(t);
    row([
      name,
      f4(t),
      pct(r.rank1),
      pct(r.signIn),
      `${pct(r.impostorAccepted, 3)} (${r.impostorAcceptedCount})`,
    ]);
  }
}
