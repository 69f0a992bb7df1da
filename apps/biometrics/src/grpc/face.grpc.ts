import {
  ENROLLMENT_TOKEN_AUDIENCE,
  ENROLLMENT_TOKEN_TTL_SEC,
  unverifiedClaims,
  type AccessClaims,
  type EnrollmentClaims,
  type KeyRing,
} from '@guardian/auth';
import { DomainError } from '@guardian/domain';
import {
  bearerToken,
  implement,
  type CallContext,
  type HandlerDeps,
  type ServiceCallers,
} from '@guardian/grpc-kit';
import {
  FaceServiceService,
  type ClientInfo,
  type FaceServiceServer,
  type GetStatusResponse,
} from '@guardian/proto/gen/guardian/biometrics/v1/face';

import type { FaceVerifyResult, FaceVerifyService } from '../services/face-verify.service.js';
import type { FaceService } from '../services/face.service.js';
import { FMR_LEVELS } from '../services/matching.js';
import type { LivenessService } from '../services/liveness/liveness.service.js';
import {
  clientFrom,
  imageInput,
  livenessInput,
  toCandidate,
  toDetectedFace,
  toEnrollment,
  toLivenessCheck,
  toRectangle,
} from './mappers.js';

export interface FaceGrpcDeps extends HandlerDeps {
  assertionKeys: KeyRing;
  faces: FaceService;
  verification: FaceVerifyService;
  liveness: Pick<LivenessService, 'history'>;
  /** Checks identity's enrollment tokens (a new face-only account enrolling itself). */
  verifyEnrollmentToken: (token: string) => Promise<EnrollmentClaims>;
  /** The services that may ask for sign-in decisions and report the end user's client. */
  signInCallers: ServiceCallers;
  status: () => GetStatusResponse;
}

const call = (ctx: CallContext, largestFace = false) => {
  const accessToken = bearerToken(ctx.metadata);
  return {
    signal: ctx.signal,
    requestId: ctx.requestId,
    ...(largestFace ? { pick: 'largest' as const } : {}),
    ...(accessToken ? { accessToken } : {}),
  };
};

/** The caller of Enroll: an access token's user, or the account an enrollment token names. */
async function enrollingActor(ctx: CallContext, deps: FaceGrpcDeps): Promise<AccessClaims> {
  const token = bearerToken(ctx.metadata);
  if (token === undefined || unverifiedClaims(token)?.aud !== ENROLLMENT_TOKEN_AUDIENCE) return ctx.auth();
  const { userId, expiresAt } = await deps.verifyEnrollmentToken(token);
  // The enrollment token was issued at registration: that is when this account last proved itself.
  const authTime = new Date(expiresAt.getTime() - ENROLLMENT_TOKEN_TTL_SEC * 1000);
  return { userId, role: 'user', sessionId: '', expiresAt, authTime };
}

/** A 1:1 comparison as Verify and VerifyForLogin answer it. */
const comparison = (r: FaceVerifyResult) => ({
  match: r.match,
  distance: r.distance,
  confidence: r.confidence,
  threshold: r.threshold,
  thresholdConfidence: r.thresholdConfidence,
  face: toRectangle(r.face),
});

/** The Guardian service asking for a sign-in decision, or PERMISSION_DENIED for anyone else. */
function signInService(ctx: CallContext, deps: FaceGrpcDeps): string {
  const service = deps.signInCallers.identify(ctx.metadata, ctx.peer);
  if (!service)
    throw new DomainError(
      'forbidden',
      'SERVICE_CREDENTIALS_REQUIRED',
      'face sign-in decisions are given to Guardian services only',
    );
  return service;
}

/** The end user's client as a trusted service reports it; anyone else is their own client (the peer). */
const reportedClient = (client: ClientInfo | undefined, ctx: CallContext, service: string | undefined) =>
  clientFrom(service ? client : undefined, ctx.peer);

/** biometrics.v1.FaceService: translates gRPC calls to the face services. */
export function faceGrpc(deps: FaceGrpcDeps) {
  const { faces } = deps;
  return {
    name: 'guardian.biometrics.v1.FaceService',
    definition: FaceServiceService,
    implementation: implement<FaceServiceServer>(
      FaceServiceService,
      {
        getJwks: async () => ({ jwks: deps.assertionKeys.publicJwks() as never }),
        enroll: async (req, ctx) => {
          const images = req.images.map(imageInput).map((i) => i ?? '');
          const liveness = livenessInput(req.liveness);
          const result = await faces.enroll(
            await enrollingActor(ctx, deps),
            req.userId,
            {
              images,
              ...(liveness ? { liveness } : {}),
              // The client the edge reports: a liveness session is bound to it (the caller also
              // holds the account's token, so believing the report gives nothing away).
              client: clientFrom(req.client, ctx.peer),
            },
            call(ctx, req.largestFace),
          );
          return {
            created: result.created,
            enrollment: toEnrollment(result.enrollment),
            faces: result.faces.map(toRectangle),
            possibleDuplicateOf: result.possibleDuplicateOf.map(toCandidate),
          };
        },
        getEnrollment: async (req, ctx) => {
          const enrollment = await faces.getEnrollment(await ctx.auth(), req.userId);
          return enrollment ? { enrolled: true, enrollment: toEnrollment(enrollment) } : { enrolled: false };
        },
        deleteEnrollment: async (req, ctx) => ({
          deleted: await faces.deleteEnrollment(await ctx.auth(), req.userId, call(ctx)),
        }),
        verify: async (req, ctx) => {
          // A signed-in self-check: no assertion, no sign-in attempt.
          const r = await deps.verification.check(
            await ctx.auth(),
            req.userId,
            imageInput(req.image),
            call(ctx, req.largestFace),
          );
          return comparison(r);
        },
        verifyForLogin: async (req, ctx) => {
          const service = signInService(ctx, deps);
          const liveness = livenessInput(req.liveness);
          const r = await deps.verification.verify(
            req.userId,
            { image: imageInput(req.image), ...(liveness ? { liveness } : {}) },
            reportedClient(req.client, ctx, service),
            call(ctx, req.largestFace),
          );
          return {
            ...comparison(r),
            faceAssertion: r.assertion?.token ?? '',
            ...(r.assertion ? { faceAssertionExpiresAt: r.assertion.expiresAt } : {}),
          };
        },
        identifyForLogin: async (req, ctx) => {
          const service = signInService(ctx, deps);
          const liveness = livenessInput(req.liveness);
          const r = await deps.verification.identifyForLogin(
            { image: imageInput(req.image), ...(liveness ? { liveness } : {}) },
            reportedClient(req.client, ctx, service),
            call(ctx, req.largestFace),
          );
          if (!r.match)
            return {
              match: false,
              userId: '',
              confidence: 0,
              thresholdConfidence: 0,
              faceAssertion: '',
              face: toRectangle(r.face),
            };
          return {
            match: true,
            userId: r.userId,
            confidence: r.confidence,
            thresholdConfidence: r.thresholdConfidence,
            face: toRectangle(r.face),
            faceAssertion: r.assertion.token,
            faceAssertionExpiresAt: r.assertion.expiresAt,
          };
        },
        identify: async (req, ctx) => {
          const r = await faces.identify(await ctx.auth(), imageInput(req.image), req.topK, call(ctx));
          return {
            recognised: r.recognised,
            candidates: r.candidates.map(toCandidate),
            threshold: r.threshold,
            face: toRectangle(r.face),
          };
        },
        compare: async (req, ctx) => {
          const r = await faces.compare(
            await ctx.auth(),
            imageInput(req.image1),
            imageInput(req.image2),
            call(ctx, req.largestFace),
          );
          const [t3, t4, t5] = FMR_LEVELS.map((level) => r.thresholds[level]);
          return {
            samePerson: r.samePerson,
            confidence: r.confidence,
            distance: r.distance,
            thresholds: { fmr1e3: t3!, fmr1e4: t4!, fmr1e5: t5! },
            face1: toRectangle(r.face1),
            face2: toRectangle(r.face2),
          };
        },
        detect: async (req, ctx) => {
          const r = await faces.detect(await ctx.auth(), imageInput(req.image), req.withAgeGender, call(ctx));
          return { faces: r.faces.map(toDetectedFace), imageWidth: r.width, imageHeight: r.height };
        },
        analyzeExpressions: async (req, ctx) => {
          const found = await faces.analyzeExpressions(await ctx.auth(), imageInput(req.image), call(ctx));
          return {
            faces: found.map((f) => ({
              rectangle: toRectangle(f.box),
              expressions: { ...f.expressions },
              dominantExpression: f.dominantExpression,
            })),
          };
        },
        getStatus: async () => deps.status(),
        listLivenessChecks: async (req, ctx) => ({
          checks: (await deps.liveness.history(await ctx.auth(), req.userId, req.limit)).map(toLivenessCheck),
        }),
      },
      deps,
    ),
  };
}
