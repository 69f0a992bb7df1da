import { ack, type Decision, type GuardianEvent } from '@guardian/events';
import type { BiometricSummaryService } from '../services/biometric.service.js';

/** biometric.enrolled | biometric.removed -> verification summary (and face-only activation). */
export function handleBiometricEvent(summary: BiometricSummaryService) {
  return async (event: GuardianEvent): Promise<Decision> => {
    if (event.type === 'biometric.enrolled') {
      const data = event.data as GuardianEvent<'biometric.enrolled'>['data'];
      await summary.apply({
        kind: 'enrolled',
        userId: data.userId,
        modelId: data.modelId,
        sampleCount: data.sampleCount,
        at: event.time,
        eventId: event.id,
        requestId: event.requestId,
      });
      return ack();
    }
    if (event.type === 'biometric.removed') {
      const data = event.data as GuardianEvent<'biometric.removed'>['data'];
      await summary.apply({
        kind: 'removed',
        userId: data.userId,
        at: event.time,
        eventId: event.id,
        requestId: event.requestId,
      });
      return ack();
    }
    return ack(); // other biometric.* events are not ours to keep
  };
}
