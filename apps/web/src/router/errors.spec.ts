import { DomainError, type ErrorKind } from '@guardian/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { errorFacts, httpStatusFor, toTRPCError, trpcCodeFor } from './errors.js';

describe('errors', () => {
  describe('trpcCodeFor / httpStatusFor', () => {
    it.each<[ErrorKind, number]>([
      ['invalid', 400],
      ['unauthenticated', 401],
      ['forbidden', 403],
      ['not_found', 404],
      ['conflict', 409],
      ['too_large', 413],
      ['unsupported', 415],
      ['unprocessable', 422],
      ['rate_limited', 429],
      ['exhausted', 429],
      ['unavailable', 503],
    ])('maps kind %s to HTTP %i', (kind, status) => {
      expect(httpStatusFor(trpcCodeFor(kind))).toBe(status);
    });
  });

  describe('toTRPCError', () => {
    it('keeps the reason, retry advice and message of the service', () => {
      const domain = new DomainError('rate_limited', 'ACCOUNT_LOCKED', 'locked for a while', {
        retryAfterMs: 30_000,
      });
      const error = toTRPCError(domain);
      expect(error.code).toBe('TOO_MANY_REQUESTS');
      expect(error.message).toBe('locked for a while');
      expect(errorFacts(error)).toEqual({ reason: 'ACCOUNT_LOCKED', retryAfterMs: 30_000 });
    });

    it("never passes a transport failure's text on (addresses, grpc-js wording)", () => {
      const refused = new DomainError(
        'unavailable',
        'UNAVAILABLE',
        'No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50052 (2026-12-03T20:00:00Z)',
      );
      const error = toTRPCError(refused);
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.message).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|connection established/);
      expect(errorFacts(error).reason).toBe('UNAVAILABLE');
      // A service's own unavailable reason keeps its (safe) message.
      const own = new DomainError('unavailable', 'INFERENCE_TIMEOUT', 'the face models took too long');
      expect(toTRPCError(own).message).toBe('the face models took too long');
    });

    it('passes metadata on when there is some', () => {
      const error = toTRPCError(
        new DomainError('invalid', 'WEAK_PASSWORD', 'too common', { metadata: { rule: 'common_password' } }),
      );
      expect(errorFacts(error).metadata).toEqual({ rule: 'common_password' });
    });
  });

  describe('errorFacts', () => {
    it('names an error without a DomainError by its tRPC code', () => {
      expect(errorFacts(new TRPCError({ code: 'UNAUTHORIZED' }))).toEqual({ reason: 'UNAUTHORIZED' });
    });

    it('calls an unexpected failure INTERNAL', () => {
      expect(
        errorFacts(
          new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('db password is hunter2') }),
        ),
      ).toEqual({ reason: 'INTERNAL' });
    });
  });
});
