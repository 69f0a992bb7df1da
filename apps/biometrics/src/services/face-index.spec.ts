import { describe, expect, it } from 'vitest';
import type { DomainError } from '@guardian/domain';
import { FaceIndex, type IndexHit } from './face-index.js';
import { kernelModuleBytes, validateKernel } from './face-index-kernel.js';
import { distanceFromDot, distanceToConfidence, identifyThreshold } from './matching.js';
import { dot, normalizeDescriptor } from './matching-vectors.js';
import { randomUnitVector, seededRandom, vectorAtDistance } from './matching-testkit.js';

const MODEL = 'faceapi-1.7.15/facerecognitionnet';

/** Brute-force reference over a plain Map of normalised vectors. */
class Reference {
  readonly rows = new Map<string, Float32Array>();
  upsert(id: string, v: ArrayLike<number>) {
    this.rows.set(id, normalizeDescriptor(v));
  }
  remove(id: string) {
    return this.rows.delete(id);
  }
  search(probe: ArrayLike<number>, k: number, threshold: number, exclude?: string): IndexHit[] {
    const p = normalizeDescriptor(probe);
    const minDot = 1 - (threshold * threshold) / 2;
    return [...this.rows.entries()]
      .filter(([id]) => id !== exclude)
      .map(([userId, v]) => ({ userId, d: dot(v, p) }))
      .filter((x) => x.d >= minDot)
      .sort((a, b) => b.d - a.d)
      .slice(0, k)
      .map(({ userId, d }) => ({
        userId,
        distance: distanceFromDot(d),
        confidence: distanceToConfidence(distanceFromDot(d)),
      }));
  }
}

const expectSame = (got: IndexHit[], want: IndexHit[]) => {
  expect(got.map((h) => h.userId)).toEqual(want.map((h) => h.userId));
  got.forEach((h, i) => {
    expect(h.distance).toBeCloseTo(want[i]!.distance, 6);
    expect(h.confidence).toBeCloseTo(want[i]!.confidence, 4);
  });
};

describe('scan kernel', () => {
  it('is a valid WebAssembly SIMD module', () => {
    expect(validateKernel()).toBe(true);
    expect(validateKernel(true)).toBe(true); // shared-memory variant (for a worker-thread split)
    expect(kernelModuleBytes().subarray(0, 4)).toEqual(Uint8Array.from([0x00, 0x61, 0x73, 0x6d]));
  });
});

describe.each(['auto', 'exact'] as const)('FaceIndex (%s mode)', (mode) => {
  it('uses the wasm int8 pass in auto mode', () => {
    const idx = new FaceIndex({ modelId: MODEL, mode });
    expect(idx.mode).toBe(mode === 'auto' ? 'wasm-int8' : 'exact');
  });

  it('matches a brute-force reference through growth, updates and removals', () => {
    const rand = seededRandom(mode === 'auto' ? 11 : 12);
    const idx = new FaceIndex({ modelId: MODEL, mode, initialCapacity: 16 });
    const ref = new Reference();
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = `u${i}`;
      const v = randomUnitVector(rand, 1.45);
      idx.upsert(id, v, MODEL);
      ref.upsert(id, v);
      ids.push(id);
    }
    expect(idx.size).toBe(3000);
    expect(idx.capacity).toBe(4096); // 16 doubled eight times
    // updates and removals (including the last row and rows moved by earlier removals)
    for (let i = 0; i < 600; i++) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      if (rand() < 0.5) {
        expect(idx.remove(id)).toBe(ref.remove(id));
      } else {
        const v = randomUnitVector(rand);
        idx.upsert(id, v, MODEL);
        ref.upsert(id, v);
      }
    }
    expect(idx.remove(ids[ids.length - 1]!)).toBe(ref.remove(ids[ids.length - 1]!));
    expect(idx.remove('nobody')).toBe(false);
    expect(idx.size).toBe(ref.rows.size);
    expect(new Set(idx.userIds())).toEqual(new Set(ref.rows.keys()));
    for (const [id, v] of ref.rows) expect(idx.get(id)).toEqual(v);

    // planted near-duplicates of indexed users, and random probes without threshold
    const present = [...ref.rows.keys()];
    for (let q = 0; q < 40; q++) {
      const target = present[Math.floor(rand() * present.length)]!;
      const probe = vectorAtDistance(rand, ref.rows.get(target)!, 0.05 + rand() * 0.3, 1.4);
      const k = 1 + Math.floor(rand() * 10);
      const got = idx.search(probe, k, 0.5);
      expectSame(got, ref.search(probe, k, 0.5));
      expect(got[0]?.userId).toBe(target);
      const any = randomUnitVector(rand);
      expectSame(idx.search(any, k, 2), ref.search(any, k, 2));
    }
  });

  it('excludes the given user (duplicate check at enrollment) and honours the threshold', () => {
    const rand = seededRandom(5);
    const idx = new FaceIndex({ modelId: MODEL, mode });
    const alice = randomUnitVector(rand);
    idx.upsert('alice', alice, MODEL);
    idx.upsert('alice-twin', vectorAtDistance(rand, alice, 0.2), MODEL);
    for (let i = 0; i < 500; i++) idx.upsert(`x${i}`, randomUnitVector(rand), MODEL);
    const probe = vectorAtDistance(rand, alice, 0.05);
    expect(idx.search(probe, 2, 0.5).map((h) => h.userId)).toEqual(['alice', 'alice-twin']);
    expect(idx.search(probe, 5, 0.5, { excludeUserId: 'alice' }).map((h) => h.userId)).toEqual([
      'alice-twin',
    ]);
    expect(idx.search(probe, 5, 0.1).map((h) => h.userId)).toEqual(['alice']);
    expect(idx.search(randomUnitVector(rand), 5)).toEqual([]); // default 1:N threshold: no random vector is that close
    expect(identifyThreshold(idx.size)).toBeLessThan(1);
    // The default is the 1:N threshold for the index's size: a probe just outside it is not found.
    const edge = identifyThreshold(idx.size);
    expect(
      idx.search(vectorAtDistance(rand, alice, edge + 0.01), 5, undefined, { excludeUserId: 'alice-twin' }),
    ).toEqual([]);
    expect(
      idx
        .search(vectorAtDistance(rand, alice, edge - 0.01), 5, undefined, { excludeUserId: 'alice-twin' })
        .map((h) => h.userId),
    ).toEqual(['alice']);
    const hits = idx.search(probe, 3, 2, { excludeUserId: 'unknown-user' });
    expect(hits).toHaveLength(3);
    expect(hits[0]!.distance).toBeLessThanOrEqual(hits[1]!.distance);
    expect(hits[0]!.confidence).toBeGreaterThan(hits[1]!.confidence);
  });

  it('stays exact on tightly clustered data (many candidates within the quantisation bound)', () => {
    const rand = seededRandom(99);
    const idx = new FaceIndex({ modelId: MODEL, mode, initialCapacity: 64 });
    const ref = new Reference();
    const centre = randomUnitVector(rand);
    for (let i = 0; i < 2000; i++) {
      const v = vectorAtDistance(rand, centre, rand() * 0.05);
      idx.upsert(`c${i}`, v, MODEL);
      ref.upsert(`c${i}`, v);
    }
    for (let q = 0; q < 10; q++) {
      const probe = vectorAtDistance(rand, centre, rand() * 0.03);
      expectSame(idx.search(probe, 10, 2), ref.search(probe, 10, 2));
    }
  });

  it('refuses another model, bad vectors and bad k', () => {
    const idx = new FaceIndex({ modelId: MODEL, mode });
    const v = randomUnitVector(seededRandom(1));
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as DomainError).reason;
      }
      return 'none';
    };
    expect(reason(() => idx.upsert('a', v, 'other/v1'))).toBe('MODEL_MISMATCH');
    expect(reason(() => idx.search(v, 5, 0.5, { modelId: 'other/v1' }))).toBe('MODEL_MISMATCH');
    expect(reason(() => idx.upsert('a', new Float32Array(64), MODEL))).toBe('BAD_DESCRIPTOR');
    expect(reason(() => idx.upsert('', v, MODEL))).toBe('BAD_USER_ID');
    expect(reason(() => idx.search(v, 0))).toBe('BAD_K');
    expect(idx.search(v, 5)).toEqual([]);
  });
});

describe('quantised pass', () => {
  it('re-scores only a small fraction of random rows', () => {
    const rand = seededRandom(21);
    const idx = new FaceIndex({ modelId: MODEL });
    for (let i = 0; i < 20000; i++) idx.upsert(`r${i}`, randomUnitVector(rand), MODEL);
    idx.search(randomUnitVector(rand), 5, 2);
    expect(idx.lastSearch.mode).toBe('wasm-int8');
    expect(idx.lastSearch.candidates).toBeGreaterThanOrEqual(5);
    expect(idx.lastSearch.candidates).toBeLessThan(2000);
  });
});
