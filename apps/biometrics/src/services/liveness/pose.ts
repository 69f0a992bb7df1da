/**
 * Head pose and eye openness from face-api's 68 landmarks (iBUG layout).
 *
 * Pose: a scaled-orthographic (weak-perspective) fit of a generic 3D face to the 2D landmarks. The
 * 2x3 linear map from the model's centred points to the image's centred points is solved by least
 * squares, its rows are made orthonormal (Gram-Schmidt) and completed to a rotation. Yaw and pitch
 * are the direction the face points to; roll the tilt of the eye line. A face 40 cm or more from a
 * webcam is close enough to orthographic for this; the generic model (an average adult face, not the
 * user's) costs a few degrees, checked against shenasa_webcam_yaw_pitch_roll.gif in bench/liveness.ts.
 *
 * Conventions (an unmirrored camera image, as the camera delivers it):
 *  - yaw > 0: the face points to image-right, i.e. the user turned to their own left;
 *  - pitch > 0: the face points up;
 *  - roll > 0: the head tilts so that the eye line rises to image-right.
 *
 * Eye openness: the eye aspect ratio (EAR) of Soukupová and Čech (2016): the two eyelid distances
 * over twice the eye's width, averaged over both eyes; about 0.25-0.35 open, falling toward 0.1
 * closed.
 */
import type { Point } from '../../repositories/inference/index.js';

export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
}

/**
 * An average adult face in millimetres, origin at the nose tip; x toward the face's own left
 * (image-right when frontal), y up, z toward the camera. Only points that move with the skull (eye
 * corners, nose, mouth corners, chin, brows): eyelids, lips and the jaw outline are left out (they
 * move with blinks and speech, and the outline follows the visible silhouette as the head turns).
 */
export const FACE_MODEL: ReadonlyMap<number, readonly [number, number, number]> = new Map([
  [30, [0, 0, 0]], // nose tip
  [27, [0, 48, -22]], // nasion
  [28, [0, 36, -16]],
  [29, [0, 24, -9]],
  [33, [0, -12, -14]], // subnasale
  [31, [-14, -8, -20]],
  [35, [14, -8, -20]],
  [36, [-45, 38, -34]], // right eye, outer corner (image-left)
  [39, [-15, 36, -27]],
  [42, [15, 36, -27]],
  [45, [45, 38, -34]], // left eye, outer corner (image-right)
  [19, [-30, 54, -22]], // brows, middle
  [24, [30, 54, -22]],
  [48, [-25, -32, -24]], // mouth corners
  [54, [25, -32, -24]],
  [8, [0, -76, -26]], // chin
]);

const MODEL_INDICES = [...FACE_MODEL.keys()];
const DEG = 180 / Math.PI;

type Vec3 = [number, number, number];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(...a) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** Inverse of a symmetric 3x3 matrix (row-major); undefined when singular. */
function inverse3(m: number[]): number[] | undefined {
  const [a, b, c, d, e, f, g, h, i] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-9) return undefined;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** Yaw, pitch and roll in degrees, or undefined when the landmarks are degenerate. */
export function estimatePose(landmarks: readonly Point[]): HeadPose | undefined {
  if (landmarks.length < 68) return undefined;
  const model = MODEL_INDICES.map((i) => FACE_MODEL.get(i)!);
  // Image y grows downward; the model's y grows up.
  const image = MODEL_INDICES.map((i) => [landmarks[i]!.x, -landmarks[i]!.y] as const);
  const n = model.length;
  const mMean = [0, 1, 2].map((k) => model.reduce((s, p) => s + p[k]!, 0) / n) as Vec3;
  const iMean = [0, 1].map((k) => image.reduce((s, p) => s + p[k]!, 0) / n);
  const X = model.map((p) => [p[0] - mMean[0], p[1] - mMean[1], p[2] - mMean[2]] as Vec3);
  const x = image.map((p) => [p[0] - iMean[0]!, p[1] - iMean[1]!]);
  // A = x Xᵀ (X Xᵀ)⁻¹, a 2x3 map.
  const XXt = new Array<number>(9).fill(0);
  const xXt = [new Array<number>(3).fill(0), new Array<number>(3).fill(0)] as [number[], number[]];
  for (let k = 0; k < n; k++) {
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) XXt[r * 3 + c]! += X[k]![r]! * X[k]![c]!;
      xXt[0][r]! += x[k]![0]! * X[k]![r]!;
      xXt[1][r]! += x[k]![1]! * X[k]![r]!;
    }
  }
  const inv = inverse3(XXt);
  if (!inv) return undefined;
  const row = (v: number[]): Vec3 =>
    [0, 1, 2].map((c) => v[0]! * inv[c]! + v[1]! * inv[3 + c]! + v[2]! * inv[6 + c]!) as Vec3;
  const a1 = row(xXt[0]);
  const a2 = row(xXt[1]);
  if (Math.hypot(...a1) < 1e-9 || Math.hypot(...a2) < 1e-9) return undefined;
  const r1 = unit(a1);
  const p = dot(a2, r1);
  const r2 = unit([a2[0] - p * r1[0], a2[1] - p * r1[1], a2[2] - p * r1[2]]);
  const r3 = cross(r1, r2);
  // Rows r1, r2, r3 map model axes to camera axes; the face's forward axis (model z) in the camera
  // is the third column, its x axis (toward its own left) the first column.
  const forward: Vec3 = [r1[2], r2[2], r3[2]];
  const side: Vec3 = [r1[0], r2[0], r3[0]];
  return {
    yaw: Math.atan2(forward[0], forward[2]) * DEG,
    pitch: Math.atan2(forward[1], Math.hypot(forward[0], forward[2])) * DEG,
    roll: Math.atan2(side[1], side[0]) * DEG,
  };
}

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

function eyeRatio(p: readonly Point[], first: number): number {
  const [p1, p2, p3, p4, p5, p6] = [0, 1, 2, 3, 4, 5].map((k) => p[first + k]!) as [
    Point,
    Point,
    Point,
    Point,
    Point,
    Point,
  ];
  const width = dist(p1, p4);
  return width > 0 ? (dist(p2, p6) + dist(p3, p5)) / (2 * width) : 0;
}

/** Eye aspect ratio, both eyes averaged (points 36-41 and 42-47). */
export function eyeAspectRatio(landmarks: readonly Point[]): number {
  if (landmarks.length < 68) return 0;
  return (eyeRatio(landmarks, 36) + eyeRatio(landmarks, 42)) / 2;
}
