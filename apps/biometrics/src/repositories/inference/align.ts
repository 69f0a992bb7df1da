/**
 * Eye-aligned face chips for the descriptor net. face-api crops the descriptor's input as an upright
 * square box placed from the eyes and mouth ("dlib alignment" without rotation); dlib itself, whose
 * ResNet face-api ports, rotates the chip so the eyes are level. This builds the same square — size
 * eye-to-mouth / 0.45, centred on the mean of the eyes and mouth at 50% across and 43% down — in the
 * frame of the eye line, and samples it bilinearly (outside the image: black, as face-api pads).
 * Pure: RGB pixels and 68 landmarks in, `size`×`size` RGB pixels out.
 */
import type { Point, RawImage } from './types.js';

const mean = (pts: readonly Point[]): Point => ({
  x: pts.reduce((s, p) => s + p.x, 0) / pts.length,
  y: pts.reduce((s, p) => s + p.y, 0) / pts.length,
});

/** Eye centres and mouth centre from the iBUG 68 points (36-41, 42-47, 48-67). */
export function referencePoints(landmarks: readonly Point[]) {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  return {
    leftEye: mean(landmarks.slice(36, 42)),
    rightEye: mean(landmarks.slice(42, 48)),
    mouth: mean(landmarks.slice(48, 68)),
  };
}

/** Roll of the eye line in radians (0 = level; positive = the right eye is lower in the image). */
export function eyeRoll(landmarks: readonly Point[]): number {
  const { leftEye, rightEye } = referencePoints(landmarks);
  return Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x);
}

export function alignedChip(image: RawImage, landmarks: readonly Point[], size = 150): Uint8Array {
  const { leftEye, rightEye, mouth } = referencePoints(landmarks);
  const eyeToMouth =
    (Math.hypot(mouth.x - leftEye.x, mouth.y - leftEye.y) +
      Math.hypot(mouth.x - rightEye.x, mouth.y - rightEye.y)) /
    2;
  const side = eyeToMouth / 0.45;
  const centre = mean([leftEye, rightEye, mouth]);
  const roll = eyeRoll(landmarks);
  // u: along the eye line (chip x); v: perpendicular, pointing down the face (chip y).
  const ux = Math.cos(roll);
  const uy = Math.sin(roll);
  const vx = -uy;
  const vy = ux;
  const { pixels, width, height } = image;
  const out = new Uint8Array(size * size * 3);
  const step = side / size;
  for (let j = 0; j < size; j++) {
    const b = (j + 0.5) * step - 0.43 * side;
    for (let i = 0; i < size; i++) {
      const a = (i + 0.5) * step - 0.5 * side;
      const x = centre.x + a * ux + b * vx - 0.5;
      const y = centre.y + a * uy + b * vy - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      const o = (j * size + i) * 3;
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) =>
          xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : pixels[(yy * width + xx) * 3 + c]!;
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}
