import { describe, expect, it } from 'vitest';

import { classifyTransportError, parseRetryAfter, retryDelayMs } from './delivery-errors.js';

const noJitter = () => 0.5;
const err = (statusCode: number | null, name = 'application_error', retryAfter?: string) => ({
  statusCode,
  name,
  message: 'boom',
  ...(retryAfter ? { retryAfter } : {}),
});

describe('classifyTransportError', () => {
  it.each([429, 500, 502, 503, 504, 408])('retries HTTP %i', (status) => {
    expect(classifyTransportError(err(status), 1, undefined, noJitter).kind).toBe('transient');
  });

  it.each([400, 401, 403, 404, 405, 422])('gives up on HTTP %i', (status) => {
    expect(classifyTransportError(err(status, 'validation_error'), 1)).toMatchObject({ kind: 'permanent' });
  });

  it('retries a network failure (no status) but not a client-side validation error', () => {
    expect(classifyTransportError(err(null, 'application_error'), 1, undefined, noJitter).kind).toBe(
      'transient',
    );
    expect(classifyTransportError(err(null, 'invalid_parameter'), 1).kind).toBe('permanent');
  });

  it('retries a concurrent request with the same idempotency key, not a reused key with other content', () => {
    expect(
      classifyTransportError(err(409, 'concurrent_idempotent_requests'), 1, undefined, noJitter).kind,
    ).toBe('transient');
    expect(classifyTransportError(err(409, 'invalid_idempotent_request'), 1).kind).toBe('permanent');
  });

  it('honours Retry-After, and backs off exponentially without it', () => {
    expect(classifyTransportError(err(429, 'rate_limit_exceeded', '7'), 1)).toMatchObject({
      retryAfterMs: 7000,
    });
    const policy = { baseMs: 100, maxMs: 10_000 };
    expect(classifyTransportError(err(503), 3, policy, noJitter)).toMatchObject({
      kind: 'transient',
      retryAfterMs: 400,
    });
  });

  it('says what happened in the reason', () => {
    expect(classifyTransportError(err(422, 'validation_error'), 1).reason).toBe('422 validation_error: boom');
  });
});

describe('retryDelayMs', () => {
  it('doubles per attempt within ±20 % and stops at the cap', () => {
    const policy = { baseMs: 1000, maxMs: 8000 };
    expect(retryDelayMs(1, policy, noJitter)).toBe(1000);
    expect(retryDelayMs(2, policy, noJitter)).toBe(2000);
    expect(retryDelayMs(10, policy, noJitter)).toBe(8000);
    expect(retryDelayMs(2, policy, () => 0)).toBe(1600);
    expect(retryDelayMs(2, policy, () => 0.999999)).toBeLessThanOrEqual(2400);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 12:00:10 GMT', new Date('2026-11-21T12:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
