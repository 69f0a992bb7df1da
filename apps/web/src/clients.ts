import { createClient, type AsyncClient } from '@guardian/grpc-kit';
import { FaceServiceClient, FaceServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/face';
import { MediaServiceClient, MediaServiceService } from '@guardian/proto/gen/guardian/biometrics/v1/media';
import { AuthServiceClient, AuthServiceService } from '@guardian/proto/gen/guardian/identity/v1/auth';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';
import {
  VerificationServiceClient,
  VerificationServiceService,
} from '@guardian/proto/gen/guardian/identity/v1/verification';
import {
  NotificationServiceClient,
  NotificationServiceService,
} from '@guardian/proto/gen/guardian/notifier/v1/notification';

/** The gRPC clients the BFF calls (one channel per service address). */
export interface ServiceClients {
  auth: AsyncClient<AuthServiceClient>;
  users: AsyncClient<UserServiceClient>;
  verification: AsyncClient<VerificationServiceClient>;
  faces: AsyncClient<FaceServiceClient>;
  media: AsyncClient<MediaServiceClient>;
  notifications: AsyncClient<NotificationServiceClient>;
  /** The deadline of calls that run face inference (identity's LoginWithFace among them). */
  faceDeadlineMs: number;
  close(): void;
}

export function createServiceClients(options: {
  identity: string;
  biometrics: string;
  notifier: string;
  deadlineMs?: number;
  faceDeadlineMs?: number;
}): ServiceClients {
  const deadlineMs = options.deadlineMs ?? 5_000;
  const auth = createClient(AuthServiceClient, AuthServiceService, options.identity, {
    deadlineMs,
    idempotent: ['getJwks', 'listSessions', 'checkSession'],
  });
  const users = createClient(UserServiceClient, UserServiceService, options.identity, {
    deadlineMs,
    idempotent: ['getUser', 'listUsers', 'getProfile'],
  });
  const verification = createClient(VerificationServiceClient, VerificationServiceService, options.identity, {
    deadlineMs,
    idempotent: ['listDocuments', 'getDocument', 'getStatus', 'listVerified', 'listPending'],
  });
  const faces = createClient(FaceServiceClient, FaceServiceService, options.biometrics, {
    deadlineMs: options.faceDeadlineMs ?? 30_000,
    idempotent: ['getJwks', 'getEnrollment', 'getStatus'],
  });
  const media = createClient(MediaServiceClient, MediaServiceService, options.biometrics, {
    deadlineMs: options.faceDeadlineMs ?? 30_000,
    idempotent: ['listVideos', 'getVideo', 'getTimeline'],
  });
  const notifications = createClient(
    NotificationServiceClient,
    NotificationServiceService,
    options.notifier,
    {
      deadlineMs,
      idempotent: ['getPreferences', 'list', 'get'],
    },
  );
  return {
    auth,
    users,
    verification,
    faces,
    media,
    notifications,
    faceDeadlineMs: options.faceDeadlineMs ?? 30_000,
    close: () => {
      for (const client of [auth, users, verification, faces, media, notifications]) client.close();
    },
  };
}
