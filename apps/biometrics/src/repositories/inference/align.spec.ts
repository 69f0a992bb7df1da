import { describe, expect, it } from 'vitest';
import { alignedChip, eyeRoll, referencePoints } from './align.js';
import type { Point, RawImage } from './types.js';

/** 68 points of an upright face: eyes at y=100 (x 80 / 120 centres), mouth centre at (100, 150). */
function uprightLandmarks(): Point[] {
  const pts: Point[] = Array.from({ length: 68 }, () => ({ x: 100, y: 120 }));
  const ring = (cx: number, cy: number, from: number, n: number, r: number) => {
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * k) / n;
      pts[from + k] = { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
    }
  };
  ring(80, 100, 36, 6, 5);
  ring(120, 100, 42, 6, 5);
  ring(100, 150, 48, 20, 10);
  return pts;
}

const rotate = (p: Point, c: Point, t: number): Point => ({
  x: c.x + (p.x - c.x) * Math.cos(t) - (p.y - c.y) * Math.sin(t),
  y: c.y + (p.x - c.x) * Math.sin(t) + (p.y - c.y) * Math.cos(t),
});

/** An image sampled from a smooth pattern, optionally rotated by `t` about `c`. */
function image(t = 0, c: Point = { x: 100, y: 120 }): RawImage {
  const width = 200;
  const height = 240;
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Pattern coordinates: undo the rotation.
      const q = rotate({ x: x + 0.5, y: y + 0.5 }, c, -t);
      const o = (y * width + x) * 3;
      pixels[o] = 128 + 100 * Math.sin(q.x / 9);
      pixels[o + 1] = 128 + 100 * Math.cos(q.y / 11);
      pixels[o + 2] = Math.max(0, Math.min(255, q.x + q.y - 120));
    }
  }
  return { pixels, width, height };
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;

describe('eye alignment', () => {
  it('measures the roll of the eye line', () => {
    const centre = { x: 100, y: 120 };
    expect(eyeRoll(uprightLandmarks())).toBeCloseTo(0, 9);
    for (const t of [-0.4, -0.1, 0.25]) {
      expect(eyeRoll(uprightLandmarks().map((p) => rotate(p, centre, t)))).toBeCloseTo(t, 9);
    }
    expect(() => referencePoints([])).toThrow(RangeError);
  });

  it('cuts the same chip from a rolled face as from the upright one', () => {
    const centre = { x: 100, y: 120 };
    const upright = alignedChip(image(), uprightLandmarks(), 64);
    for (const t of [-0.35, 0.2]) {
      const rolled = alignedChip(
        image(t, centre),
        uprightLandmarks().map((p) => rotate(p, centre, t)),
        64,
      );
      expect(meanAbsDiff(upright, rolled)).toBeLessThan(3);
    }
    // Not aligning would differ a lot: the upright landmarks on the rolled image.
    expect(meanAbsDiff(upright, alignedChip(image(0.35, centre), uprightLandmarks(), 64))).toBeGreaterThan(
      10,
    );
  });

  it("places the square like face-api's dlib box when the eyes are level", () => {
    // Eye-to-mouth distance is sqrt(20² + 50²); the square is that / 0.45, from 50% left and 43% up
    // of the eyes-and-mouth centre (100, 116.67).
    const side = Math.hypot(20, 50) / 0.45;
    const x0 = 100 - 0.5 * side;
    const y0 = 350 / 3 - 0.43 * side;
    const width = 400;
    const height = 400;
    const pixels = new Uint8Array(width * height * 3);
    // Bright from x0 + 4 on: the chip (1.2 px per column here) is dark up to column 2, bright from 5.
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) pixels[(y * width + x) * 3] = x + 0.5 < x0 + 4 ? 0 : 255;
    const chip = alignedChip({ pixels, width, height }, uprightLandmarks(), 100);
    const red = (col: number) => chip[(50 * 100 + col) * 3]!;
    expect([red(0), red(1), red(2)]).toEqual([0, 0, 0]);
    expect(red(5)).toBe(255);
    expect(y0).toBeLessThan(100); // the chip starts above the eyes
  });
});
