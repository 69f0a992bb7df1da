import type {
  ClientInfo,
  DetectedFace,
  Enrollment as EnrollmentMessage,
  Expressions,
  FaceRectangle,
  Image,
  Candidate,
} from '@guardian/proto/gen/guardian/biometrics/v1/face';
import type { Box, Expression } from '../repositories/inference/index.js';
import type { IndexHit } from '../services/face-index.js';
import type { ImageInput } from '../services/face-pipeline.js';
import type { ClientContext } from '../services/face-verify.service.js';
import type { DetectedFaceView, Enrollment } from '../services/face.service.js';

export function imageInput(image: Image | undefined): ImageInput | undefined {
  const source = image?.source;
  if (!source) return undefined;
  return source.$case === 'data' ? source.value : source.value;
}

/** `ipv4:10.0.0.7:51234` / `ipv6:[::1]:51234` -> the address. */
export function peerIp(peer: string): string {
  const v6 = /^ipv6:\[([^\]]+)\]/.exec(peer);
  if (v6) return v6[1]!;
  const v4 = /^ipv4:([^:]+)/.exec(peer);
  return v4?.[1] ?? '';
}

/** The client the edge reported, else the gRPC peer (a direct caller). */
export const clientFrom = (client: ClientInfo | undefined, peer: string): ClientContext => ({
  ip: client?.ip || peerIp(peer),
  userAgent: client?.userAgent ?? '',
});

export const toRectangle = (box: Box): FaceRectangle => ({
  left: Math.round(box.x),
  top: Math.round(box.y),
  width: Math.round(box.width),
  height: Math.round(box.height),
});

export const toEnrollment = (e: Enrollment): EnrollmentMessage => ({
  userId: e.userId,
  modelId: e.modelId,
  sampleCount: e.sampleCount,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

export const toCandidate = (hit: IndexHit): Candidate => ({
  userId: hit.userId,
  distance: hit.distance,
  confidence: hit.confidence,
});

export const toExpressions = (e: Record<Expression, number>): Expressions => ({ ...e });

export const toDetectedFace = (f: DetectedFaceView): DetectedFace => ({
  rectangle: toRectangle(f.box),
  score: f.score,
  landmarks: f.landmarks.map((p) => ({ x: p.x, y: p.y })),
  expressions: toExpressions(f.expressions),
  dominantExpression: f.dominantExpression,
  ...(f.age === undefined ? {} : { age: f.age }),
  ...(f.gender === undefined ? {} : { gender: f.gender }),
  ...(f.genderProbability === undefined ? {} : { genderProbability: f.genderProbability }),
});
