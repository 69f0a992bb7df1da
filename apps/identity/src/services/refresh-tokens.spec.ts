import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  DEFAULT_REFRESH_POLICY,
  type RefreshSessionState,
  USED_HASHES_KEPT,
  decideRefresh,
  formatRefreshToken,
  newRefreshSecret,
  parseRefreshToken,
  rotateUsedHashes,
  sessionExpiresAt,
} from './refresh-tokens.js';

const now = new Date('2026-01-10T00:00:00Z');
const day = 24 * 60 * 60_000;

function sessionWith(overrides: Partial<RefreshSessionState> = {}) {
  const current = newRefreshSecret();
  const old = newRefreshSecret();
  const session: RefreshSessionState = {
    refreshHash: current.hash,
    usedRefreshHashes: [old.hash],
    createdAt: new Date(now.getTime() - day),
    lastUsedAt: new Date(now.getTime() - 60_000),
    ...overrides,
  };
  return { session, current, old };
}

describe('refresh tokens', () => {
  describe('parseRefreshToken', () => {
    it('round-trips a formatted token to the session id and secret hash', () => {
      const { secret, hash } = newRefreshSecret();
      expect(parseRefreshToken(formatRefreshToken('abc123', secret))).toEqual({
        sessionId: 'abc123',
        secretHash: hash,
      });
    });
    it.each(['', 'nodot', 'a.b', 'a.' + 'x'.repeat(44), '.'.repeat(3)])(
      'rejects %j with INVALID_REFRESH_TOKEN',
      (token) => {
        expect(() => parseRefreshToken(token)).toThrow(DomainError);
        try {
          parseRefreshToken(token);
        } catch (e) {
          expect(e).toMatchObject({ kind: 'unauthenticated', reason: 'INVALID_REFRESH_TOKEN' });
        }
      },
    );
  });

  describe('decideRefresh', () => {
    it('rotates the current secret', () => {
      const { session, current } = sessionWith();
      expect(decideRefresh(session, current.hash, now)).toEqual({ kind: 'rotate' });
    });
    it('detects reuse of an already-rotated secret', () => {
      const { session, old } = sessionWith();
      expect(decideRefresh(session, old.hash, now)).toEqual({ kind: 'reuse' });
    });
    it('answers invalid for an unknown secret or session, without revoking', () => {
      const { session } = sessionWith();
      expect(decideRefresh(session, newRefreshSecret().hash, now)).toEqual({ kind: 'invalid' });
      expect(decideRefresh(undefined, newRefreshSecret().hash, now)).toEqual({ kind: 'invalid' });
    });
    it('answers revoked for a revoked session, even for the current secret', () => {
      const { session, current, old } = sessionWith({ revokedAt: now });
      expect(decideRefresh(session, current.hash, now)).toEqual({ kind: 'revoked' });
      expect(decideRefresh(session, old.hash, now)).toEqual({ kind: 'revoked' });
    });
    it('expires idle and too-old sessions', () => {
      const idle = sessionWith({
        lastUsedAt: new Date(now.getTime() - DEFAULT_REFRESH_POLICY.idleTtlMs - 1),
      });
      expect(decideRefresh(idle.session, idle.current.hash, now)).toEqual({ kind: 'expired', why: 'idle' });
      const old = sessionWith({
        createdAt: new Date(now.getTime() - DEFAULT_REFRESH_POLICY.absoluteTtlMs - 1),
      });
      expect(decideRefresh(old.session, old.current.hash, now)).toEqual({ kind: 'expired', why: 'absolute' });
    });
  });

  describe('rotateUsedHashes', () => {
    it('appends and caps the list', () => {
      const many = Array.from({ length: USED_HASHES_KEPT }, (_, i) => `h${i}`);
      const next = rotateUsedHashes(many, 'new');
      expect(next).toHaveLength(USED_HASHES_KEPT);
      expect(next.at(-1)).toBe('new');
      expect(next[0]).toBe('h1');
    });
  });

  describe('sessionExpiresAt', () => {
    it('is the earlier of idle and absolute expiry', () => {
      const createdAt = new Date(now.getTime() - 20 * day);
      expect(sessionExpiresAt({ createdAt, lastUsedAt: now }).getTime()).toBe(
        createdAt.getTime() + DEFAULT_REFRESH_POLICY.absoluteTtlMs,
      );
      expect(sessionExpiresAt({ createdAt: now, lastUsedAt: now }).getTime()).toBe(
        now.getTime() + DEFAULT_REFRESH_POLICY.idleTtlMs,
      );
    });
  });
});
