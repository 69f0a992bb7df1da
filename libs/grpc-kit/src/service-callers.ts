import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Metadata } from '@grpc/grpc-js';

/** The metadata key a calling service sends its credential in (ClientOptions.serviceToken). */
export const SERVICE_TOKEN_KEY = 'x-guardian-service-token';

/** Shortest service token accepted (random, e.g. `openssl rand -hex 32`). */
export const MIN_SERVICE_TOKEN_LENGTH = 32;

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Which service is calling, from the token it sends in `x-guardian-service-token`, for methods
 * only other Guardian services may call (biometrics' face sign-in decisions) and for believing a
 * client IP a caller reports. Configured as `name=token` pairs; with none configured (development),
 * a caller on the loopback interface counts as `local` and nothing else does.
 */
export class ServiceCallers {
  private readonly known: { name: string; digest: Buffer }[];

  constructor(tokens: ReadonlyMap<string, string>) {
    this.known = [...tokens].map(([name, token]) => ({ name, digest: digest(token) }));
  }

  /** `web=<token>,identity=<token>`; entries with an empty token are left out. */
  static parse(value: string | undefined): ServiceCallers {
    const tokens = new Map<string, string>();
    for (const entry of (value ?? '').split(',').map((e) => e.trim())) {
      if (!entry) continue;
      const at = entry.indexOf('=');
      const name = at > 0 ? entry.slice(0, at).trim() : '';
      const token = at > 0 ? entry.slice(at + 1).trim() : '';
      if (!/^[a-z][a-z0-9-]*$/.test(name))
        throw new Error(`service caller "${entry.slice(0, 20)}": expected name=token`);
      if (!token) continue;
      if (token.length < MIN_SERVICE_TOKEN_LENGTH)
        throw new Error(
          `service caller ${name}: the token needs at least ${MIN_SERVICE_TOKEN_LENGTH} characters`,
        );
      tokens.set(name, token);
    }
    return new ServiceCallers(tokens);
  }

  get configured(): boolean {
    return this.known.length > 0;
  }

  /** The calling service's name, or undefined for anyone else. */
  identify(metadata: Metadata, peer: string): string | undefined {
    const sent = metadata.get(SERVICE_TOKEN_KEY)[0];
    if (!this.configured) return isLoopback(peerAddress(peer)) ? 'local' : undefined;
    if (typeof sent !== 'string' || !sent) return undefined;
    const candidate = digest(sent);
    // Compare with every known digest (constant time each), so timing tells nothing of which.
    let found: string | undefined;
    for (const { name, digest: known } of this.known) if (timingSafeEqual(known, candidate)) found ??= name;
    return found;
  }
}

/**
 * The address of a gRPC peer as grpc-js reports it (`127.0.0.1:5000`, `[::1]:5000`, or with an
 * `ipv4:` / `ipv6:` scheme); '' when it is not an IP (a Unix socket).
 */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]/.exec(bare);
  if (v6) return isIP(v6[1]!) ? v6[1]! : '';
  const v4 = /^([\d.]+)(:\d+)?$/.exec(bare);
  return v4 && isIP(v4[1]!) === 4 ? v4[1]! : '';
}

const isLoopback = (address: string) =>
  /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
