/**
 * identity's current view of an account (role and status), read with the caller's own access token
 * through identity's UserService.GetUser: biometrics applies identity's rules to the target's state
 * now, not to what a token said when it was issued.
 */
import { isDomainError } from '@guardian/domain';
import { createClient } from '@guardian/grpc-kit';
import { UserServiceClient, UserServiceService } from '@guardian/proto/gen/guardian/identity/v1/user';

export interface Account {
  role: string;
  status: string;
}

export interface AccountDirectory {
  /** The account, or null when identity knows no such user. */
  account(userId: string, accessToken: string): Promise<Account | null>;
}

export function grpcAccountDirectory(identityAddress: string): AccountDirectory & { close(): void } {
  const client = createClient(UserServiceClient, UserServiceService, identityAddress, {
    idempotent: ['getUser'],
    deadlineMs: 3_000,
  });
  return {
    async account(userId, accessToken) {
      try {
        const { user } = await client.getUser({ userId }, { accessToken });
        return user ? { role: user.role, status: user.status } : null;
      } catch (error) {
        if (isDomainError(error) && error.kind === 'not_found') return null;
        throw error;
      }
    },
    close: () => client.close(),
  };
}
