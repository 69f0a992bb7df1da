import type {
  ClientInfo,
  DetectedFace,
  Enrollment as EnrollmentMessage,
  Expressions,
  FaceRectangle,
  Image,
  Candidate,
  LivenessCheck,
} from '@guardian/proto/gen/guardian/biometrics/v1/face';
import type { LivenessCapture } from '@guardian/proto/gen/guardian/common/v1/liveness';
import type { LivenessCheckRecord } from '../repositories/liveness-check.repository.js';
import type { LivenessInput } from '../services/liveness/liveness.service.js';
import { peerAddress } from '@guardian/grpc-kit';
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

/** The client the edge reported, else the gRPC peer (a direct caller). */
export const clientFrom = (client: ClientInfo | undefined, peer: string): ClientContext => ({
  ip: client?.ip || peerAddress(peer),
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

/** A liveness capture as the services take it (undefined when none was sent). */
export function livenessInput(capture: LivenessCapture | undefined): LivenessInput | undefined {
  if (!capture || (!capture.session && capture.frames.length === 0 && capture.clip.length === 0))
    return undefined;
  return {
    session: capture.session,
    frames: capture.frames.map((f) => ({ image: f.image, tMs: f.tMs })),
    ...(capture.clip.length ? { clip: capture.clip } : {}),
  };
}

export const toLivenessCheck = (r: LivenessCheckRecord): LivenessCheck => ({
  sessionId: r._id,
  userId: r.userId,
  purpose: r.purpose,
  actions: r.actions,
  decision: r.decision,
  reason: r.reason,
  score: r.score,
  frames: r.frames.map((f) => ({
    tMs: f.tMs,
    yaw: f.yaw,
    pitch: f.pitch,
    roll: f.roll,
    ear: f.ear,
    face: f.face,
  })),
  ip: r.ip,
  userAgent: r.userAgent,
  issuedAt: r.issuedAt,
  ...(r.scoredAt ? { scoredAt: r.scoredAt } : {}),
});
