import type { AsyncClient } from '@guardian/grpc-kit';
import type { FaceServiceClient } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import type { FaceMatch, FaceMatcher, LivenessCaptureInput } from '../services/sign-in.service.js';

/** biometrics' sign-in decisions over its gRPC client (which carries identity's service credential). */
export function biometricsFaceMatcher(client: AsyncClient<FaceServiceClient>): FaceMatcher {
  const image = (bytes: Buffer) => ({ source: { $case: 'data' as const, value: bytes } });
  const options = (requestId: string | undefined) => (requestId ? { requestId } : {});
  const decision = (r: { match: boolean; confidence: number; faceAssertion: string }): FaceMatch => ({
    match: r.match,
    confidence: r.confidence,
    faceAssertion: r.faceAssertion,
  });
  const capture = (liveness: LivenessCaptureInput | undefined) =>
    liveness
      ? {
          liveness: {
            session: liveness.session,
            frames: liveness.frames.map((f) => ({ image: Buffer.from(f.image), tMs: f.tMs })),
            clip: Buffer.from(liveness.clip),
          },
        }
      : {};
  return {
    verifyForLogin: async (request, requestId) =>
      decision(
        await client.verifyForLogin(
          {
            userId: request.userId,
            image: image(request.image),
            client: request.client,
            largestFace: request.largestFace,
            ...capture(request.liveness),
          },
          options(requestId),
        ),
      ),
    identifyForLogin: async (request, requestId) =>
      decision(
        await client.identifyForLogin(
          {
            image: image(request.image),
            client: request.client,
            largestFace: request.largestFace,
            ...capture(request.liveness),
          },
          options(requestId),
        ),
      ),
  };
}
