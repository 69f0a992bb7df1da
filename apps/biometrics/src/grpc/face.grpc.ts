import type { KeyRing } from '@guardian/auth';
import { implement, type HandlerDeps } from '@guardian/grpc-kit';
import { FaceServiceService, type FaceServiceServer } from '@guardian/proto/gen/guardian/biometrics/v1/face';

/** biometrics.v1.FaceService: translates gRPC calls to the face services. */
export function faceGrpc(deps: HandlerDeps & { assertionKeys: KeyRing }) {
  return {
    name: 'guardian.biometrics.v1.FaceService',
    definition: FaceServiceService,
    implementation: implement<FaceServiceServer>(
      FaceServiceService,
      {
        getJwks: async () => ({ jwks: deps.assertionKeys.publicJwks() as never }),
      },
      deps,
    ),
  };
}
