import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface LoadedKey {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

/**
 * Ed25519 signing keys. The first key signs; every key's public half is published so tokens signed
 * by a key being rotated out stay valid until they expire. Keys are private JWKs (`{kty:'OKP',
 * crv:'Ed25519', d, x, kid}`) given as a JSON array.
 */
export class KeyRing {
  private constructor(private readonly keys: LoadedKey[]) {}

  static async fromJwks(privateJwks: JWK[]): Promise<KeyRing> {
    if (privateJwks.length === 0) throw new Error('a key ring needs at least one key');
    const keys = await Promise.all(
      privateJwks.map(async (jwk) => {
        if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d || !jwk.x || !jwk.kid) {
          throw new Error('signing keys must be Ed25519 private JWKs with a kid');
        }
        const privateKey = (await importJWK(jwk, 'EdDSA')) as PrivateKey;
        return {
          kid: jwk.kid,
          privateKey,
          publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' },
        };
      }),
    );
    return new KeyRing(keys);
  }

  static async generatePrivateJwk(): Promise<JWK> {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'EdDSA' };
  }

  /**
   * Loads keys from `json` (env) when given; otherwise from `devFile`, generating and persisting a
   * key there on first use. `onGenerated` lets the caller warn that a development key is in use.
   */
  static async load(options: {
    json?: string;
    devFile: string;
    onDevKey?: (file: string, created: boolean) => void;
  }) {
    if (options.json) return KeyRing.fromJwks(JSON.parse(options.json) as JWK[]);
    try {
      const stored = JSON.parse(await readFile(options.devFile, 'utf8')) as JWK[];
      options.onDevKey?.(options.devFile, false);
      return KeyRing.fromJwks(stored);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const jwk = await KeyRing.generatePrivateJwk();
    await mkdir(dirname(options.devFile), { recursive: true });
    await writeFile(options.devFile, JSON.stringify([jwk]), { mode: 0o600 });
    options.onDevKey?.(options.devFile, true);
    return KeyRing.fromJwks([jwk]);
  }

  get currentKid(): string {
    return this.keys[0]!.kid;
  }

  publicJwks(): JSONWebKeySet {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  async sign(
    claims: JWTPayload,
    options: { issuer: string; audience: string; subject: string; expiresInSec: number; jti?: string },
  ): Promise<string> {
    const key = this.keys[0]!;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setSubject(options.subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + options.expiresInSec);
    if (options.jti) jwt.setJti(options.jti);
    return jwt.sign(key.privateKey);
  }
}
