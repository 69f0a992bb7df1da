import type { TemplateData, TemplateName } from './template-data.js';

/** One representative data set per template (used by specs, the bench and the integration tests). */
export const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

export function sampleTemplateData(
  template: TemplateName,
  overrides: Partial<TemplateData> = {},
): TemplateData {
  const client = { ip: '203.0.113.7', userAgent: CHROME_ON_WINDOWS };
  const at = new Date('2026-11-21T14:30:00Z');
  const name = 'Maria Souza';
  const base = ((): TemplateData => {
    switch (template) {
      case 'welcome':
        return { template, name, username: 'maria', registrationKind: 'password' };
      case 'login_succeeded':
        return { template, name, method: 'password', at, client };
      case 'login_failed':
        return { template, name, method: 'password', at, client, failures: 20, consecutive: 5 };
      case 'account_locked':
        return {
          template,
          name,
          lockedUntil: new Date('2026-11-21T15:00:00Z'),
          attemptCount: 5,
          channel: 'password',
          client,
        };
      case 'biometric_enrolled':
        return { template, name, sampleCount: 3, updated: false };
      case 'biometric_removed':
        return { template, name, reason: 'user_request' };
      case 'password_changed':
        return { template, name, at, client };
      case 'document_reviewed':
        return {
          template,
          name,
          documentType: 'passport',
          decision: 'rejected',
          reason: 'The photo is blurred.',
        };
      case 'video_analyzed':
        return {
          template,
          name,
          jobId: 'job-42',
          fileName: 'birthday.mp4',
          status: 'succeeded',
          dominantExpression: 'happy',
          framesAnalyzed: 120,
          durationMs: 61_400,
          people: 3,
          reason: '',
          resultUrl: 'https://guardian.example/videos/job-42',
        };
    }
  })();
  return { ...base, ...overrides } as TemplateData;
}
