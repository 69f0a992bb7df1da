import { describe, expect, it } from 'vitest';

import { makeContact, makeEvent } from './event-fixtures.js';
import { planNotification, recipientOf } from './notification-policy.js';

const client = { ip: '198.51.100.4', userAgent: 'curl/8.5.0' };

describe('planNotification', () => {
  describe('identity.user.registered', () => {
    it('sends a welcome to the address in the event, in its locale', () => {
      const event = makeEvent('identity.user.registered', {
        userId: 'u1',
        email: 'ana@example.com',
        fullName: 'Ana',
        username: 'ana',
        locale: 'es-MX',
      });
      const plan = planNotification(event, { contact: undefined, preferences: undefined });
      expect(plan).toMatchObject({
        kind: 'send',
        template: 'welcome',
        to: 'ana@example.com',
        locale: 'es',
        userId: 'u1',
      });
    });

    it('suppresses the welcome when the user was already deleted', () => {
      const event = makeEvent('identity.user.registered', { userId: 'u1', email: 'ana@example.com' });
      const plan = planNotification(event, {
        contact: makeContact({ deleted: true, email: '' }),
        preferences: undefined,
      });
      expect(plan).toMatchObject({ kind: 'suppress', reason: 'user_deleted' });
    });
  });

  describe('identity.login.succeeded', () => {
    const event = makeEvent('identity.login.succeeded', { userId: 'u1', method: 'face', client });

    it('sends to the known address in the contact locale, with IP and user agent', () => {
      const plan = planNotification(event, { contact: makeContact(), preferences: undefined });
      expect(plan).toMatchObject({
        kind: 'send',
        template: 'login_succeeded',
        to: 'maria@example.com',
        locale: 'pt-BR',
        digest: false,
        data: { method: 'face', client, name: 'Maria Souza', at: event.time },
      });
    });

    it('is suppressed when the user switched login-success alerts off', () => {
      const plan = planNotification(event, {
        contact: makeContact(),
        preferences: { loginSuccessAlerts: false },
      });
      expect(plan).toMatchObject({ kind: 'suppress', reason: 'preference', template: 'login_succeeded' });
    });

    it('is suppressed without an address, and for a deleted user', () => {
      expect(planNotification(event, { contact: undefined, preferences: undefined })).toMatchObject({
        reason: 'no_address',
      });
      expect(
        planNotification(event, {
          contact: makeContact({ deleted: true, email: '' }),
          preferences: undefined,
        }),
      ).toMatchObject({ reason: 'user_deleted' });
    });

    it('falls back to en for an unsupported locale', () => {
      const plan = planNotification(event, {
        contact: makeContact({ locale: 'de-DE' }),
        preferences: undefined,
      });
      expect(plan).toMatchObject({ locale: 'en' });
    });
  });

  describe('security alerts', () => {
    const optedOut = { loginSuccessAlerts: false };
    it.each([
      [
        'identity.login.failed',
        makeEvent('identity.login.failed', { userId: 'u1', attemptCount: 3, client }),
        'login_failed',
        true,
      ],
      [
        'biometric.auth.failed',
        makeEvent('biometric.auth.failed', { userId: 'u1', attemptCount: 2, client }),
        'login_failed',
        true,
      ],
      [
        // A liveness capture that did not pass at sign-in is a failed face attempt: digested like one.
        'biometric.auth.failed (liveness)',
        makeEvent('biometric.auth.failed', {
          userId: 'u1',
          reason: 'MOVE_NOT_SEEN',
          attemptCount: 1,
          client,
        }),
        'login_failed',
        true,
      ],
      [
        'identity.account.locked',
        makeEvent('identity.account.locked', { userId: 'u1', attemptCount: 5 }),
        'account_locked',
        false,
      ],
      [
        'identity.password.changed',
        makeEvent('identity.password.changed', { userId: 'u1', client }),
        'password_changed',
        false,
      ],
      [
        'biometric.enrolled',
        makeEvent('biometric.enrolled', { userId: 'u1', sampleCount: 3 }),
        'biometric_enrolled',
        false,
      ],
      [
        'biometric.removed',
        makeEvent('biometric.removed', { userId: 'u1', reason: 'admin' }),
        'biometric_removed',
        false,
      ],
    ] as const)(
      '%s is sent even when the user opted out of other alerts',
      (_type, event, template, digest) => {
        const plan = planNotification(event, { contact: makeContact(), preferences: optedOut });
        expect(plan).toMatchObject({ kind: 'send', template, digest });
      },
    );

    it('reads a failed face verification as a failed sign-in by face', () => {
      const plan = planNotification(makeEvent('biometric.auth.failed', { userId: 'u1', client }), {
        contact: makeContact(),
        preferences: undefined,
      });
      expect(plan).toMatchObject({ data: { template: 'login_failed', method: 'face', failures: 1 } });
    });
  });

  describe('video analysis', () => {
    const known = { contact: makeContact(), preferences: undefined };
    // A trailing slash on the configured base must not double the slash in the link.
    const options = { dashboardUrl: 'https://guardian.example/app/' };

    it('mails a finished analysis with the file, people, duration and a link to its page', () => {
      const event = makeEvent('media.video.analyzed', {
        userId: 'u1',
        jobId: 'j1',
        status: 'succeeded',
        dominantExpression: 'happy',
        framesAnalyzed: 9,
        fileName: 'party.mp4',
        durationMs: 4_600,
        people: 2,
      });
      expect(planNotification(event, known, options)).toEqual({
        kind: 'send',
        userId: 'u1',
        template: 'video_analyzed',
        locale: 'pt-BR',
        to: 'maria@example.com',
        digest: false,
        data: {
          template: 'video_analyzed',
          name: 'Maria Souza',
          jobId: 'j1',
          fileName: 'party.mp4',
          status: 'succeeded',
          dominantExpression: 'happy',
          framesAnalyzed: 9,
          durationMs: 4_600,
          people: 2,
          reason: '',
          resultUrl: 'https://guardian.example/app/videos/j1',
        },
      });
    });

    it('mails a failed analysis with the same template, its reason and the link', () => {
      const event = makeEvent('media.video.failed', {
        userId: 'u1',
        jobId: 'j2',
        fileName: 'broken.mov',
        reason: 'CORRUPT_VIDEO',
      });
      expect(planNotification(event, known, options)).toMatchObject({
        kind: 'send',
        template: 'video_analyzed',
        data: {
          template: 'video_analyzed',
          status: 'failed',
          jobId: 'j2',
          fileName: 'broken.mov',
          reason: 'CORRUPT_VIDEO',
          people: 0,
          resultUrl: 'https://guardian.example/app/videos/j2',
        },
      });
    });

    it('reads an analyzed event that does not say "succeeded" as a failure', () => {
      const event = makeEvent('media.video.analyzed', { userId: 'u1', jobId: 'j3', status: 'failed' });
      expect(planNotification(event, known, options)).toMatchObject({
        kind: 'send',
        data: { status: 'failed', reason: '' },
      });
    });

    it('puts the job id into the link as one path segment', () => {
      const event = makeEvent('media.video.failed', { userId: 'u1', jobId: 'a/b?c#d' });
      expect(planNotification(event, known, options)).toMatchObject({
        data: { resultUrl: 'https://guardian.example/app/videos/a%2Fb%3Fc%23d' },
      });
    });

    it('leaves the link out without a dashboard URL or a job id', () => {
      const withoutBase = planNotification(
        makeEvent('media.video.failed', { userId: 'u1', jobId: 'j4' }),
        known,
      );
      expect(withoutBase).toMatchObject({ kind: 'send', data: { resultUrl: undefined } });
      const withoutJob = planNotification(makeEvent('media.video.failed', { userId: 'u1' }), known, options);
      expect(withoutJob).toMatchObject({ kind: 'send', data: { resultUrl: undefined } });
    });

    it('ignores the submitted job (the queue message) and outcomes without a user', () => {
      const submitted = makeEvent('media.video.submitted', { userId: 'u1', jobId: 'j5' });
      expect(planNotification(submitted, known, options)).toEqual({
        kind: 'ignore',
        reason: 'no e-mail for media.video.submitted',
      });
      for (const event of [
        makeEvent('media.video.analyzed', { userId: '', jobId: 'j6', status: 'succeeded' }),
        makeEvent('media.video.failed', { userId: '', jobId: 'j6', reason: 'ANALYSIS_FAILED' }),
      ]) {
        expect(planNotification(event, known, options)).toEqual({ kind: 'ignore', reason: 'no user' });
      }
    });
  });

  describe('other events', () => {
    it('sends document results', () => {
      const doc = makeEvent('verification.document.reviewed', {
        userId: 'u1',
        decision: 'rejected',
        reason: 'blurred',
        type: 'cnh',
      });
      expect(planNotification(doc, { contact: makeContact(), preferences: undefined })).toMatchObject({
        kind: 'send',
        data: { template: 'document_reviewed', decision: 'rejected', reason: 'blurred', documentType: 'cnh' },
      });
    });

    it.each([
      makeEvent('identity.login.failed', { userId: '', identifier: 'nobody' }),
      makeEvent('biometric.removed', { userId: 'u1', reason: 'user_deleted' }),
      makeEvent('identity.session.revoked', { userId: 'u1' }),
      makeEvent('biometric.auth.succeeded', { userId: 'u1' }),
      makeEvent('verification.document.submitted', { userId: 'u1' }),
      makeEvent('verification.document.reviewed', { userId: 'u1', decision: 'maybe' }),
      makeEvent('identity.user.updated', { userId: 'u1' }),
      // Mailed as the biometric.auth.failed of the same attempt (above), never twice.
      makeEvent('biometric.liveness.failed', { userId: 'u1', purpose: 'sign_in', reason: 'WRONG_ORDER' }),
    ])('ignores $type that mails nobody', (event) => {
      expect(planNotification(event, { contact: makeContact(), preferences: undefined }).kind).toBe('ignore');
    });
  });
});

describe('recipientOf', () => {
  it('names the user an event is about, or nothing', () => {
    expect(recipientOf(makeEvent('identity.password.changed', { userId: 'u9' }))).toBe('u9');
    expect(recipientOf(makeEvent('identity.login.failed', { userId: '' }))).toBeUndefined();
  });
});
