import type { JwksSource } from '@guardian/auth';
import type { Jwks } from '@guardian/proto/gen/guardian/common/v1/jwks';
import type { JWK } from 'jose';

/**
 * A JWKS source for `CachedJwks` from an issuer's `GetJwks` RPC (identity's AuthService,
 * biometrics' FaceService). Proto3 leaves absent strings as "", which JOSE would read as values,
 * so empty members are dropped.
 */
export function grpcJwksSource(getJwks: () => Promise<{ jwks?: Jwks | undefined }>): JwksSource {
  return async () => {
    const { jwks } = await getJwks();
    const keys = (jwks?.keys ?? []).map(
      (key) => Object.fromEntries(Object.entries(key).filter(([, value]) => value !== '')) as JWK,
    );
    return { keys };
  };
}
