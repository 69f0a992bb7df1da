import type { ServiceBinding } from '@guardian/grpc-kit';
import { implement, type CallContext, type HandlerDeps } from '@guardian/grpc-kit';
import {
  NotificationServiceService,
  NotificationStatus,
  type Notification,
  type NotificationServiceServer,
} from '@guardian/proto/gen/guardian/notifier/v1/notification';

import type {
  NotificationRecord,
  NotificationStatus as Status,
} from '../repositories/notification.repository.js';
import type { Caller, DeliveryLogService } from '../services/delivery-log.service.js';

const toProtoStatus: Record<Status, NotificationStatus> = {
  pending: NotificationStatus.NOTIFICATION_STATUS_PENDING,
  sent: NotificationStatus.NOTIFICATION_STATUS_SENT,
  failed: NotificationStatus.NOTIFICATION_STATUS_FAILED,
  suppressed: NotificationStatus.NOTIFICATION_STATUS_SUPPRESSED,
};

const fromProtoStatus = (status: NotificationStatus): Status | undefined =>
  (Object.entries(toProtoStatus) as Array<[Status, NotificationStatus]>).find(
    ([, value]) => value === status,
  )?.[0];

export function toProtoNotification(record: NotificationRecord): Notification {
  return {
    eventId: record.eventId,
    eventType: record.eventType,
    userId: record.userId,
    template: record.template,
    locale: record.locale,
    status: toProtoStatus[record.status],
    recipient: record.recipient,
    subject: record.subject,
    transport: record.transport,
    providerId: record.providerId,
    attempts: record.attempts,
    lastError: record.lastError,
    suppressedReason: record.suppressedReason,
    digestCount: record.digestCount,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.sentAt ? { sentAt: record.sentAt } : {}),
  };
}

async function callerOf(ctx: CallContext): Promise<Caller> {
  const claims = await ctx.auth();
  return { userId: claims.userId, role: claims.role };
}

/** notifier.v1.NotificationService: parse, call the delivery-log service, map. */
export function notificationGrpc(deps: HandlerDeps & { log: DeliveryLogService }): ServiceBinding {
  const { log } = deps;
  return {
    name: 'guardian.notifier.v1.NotificationService',
    definition: NotificationServiceService,
    implementation: implement<NotificationServiceServer>(
      NotificationServiceService,
      {
        getPreferences: async (request, ctx) => ({
          preferences: await log.getPreferences(await callerOf(ctx), request.userId),
        }),
        updatePreferences: async (request, ctx) => ({
          preferences: await log.updatePreferences(await callerOf(ctx), request.userId, {
            ...(request.loginSuccessAlerts === undefined
              ? {}
              : { loginSuccessAlerts: request.loginSuccessAlerts }),
          }),
        }),
        list: async (request, ctx) => {
          const page = await log.list(await callerOf(ctx), {
            userId: request.userId,
            statuses: request.statuses.map(fromProtoStatus).filter((s): s is Status => s !== undefined),
            templates: request.templates,
            ...(request.createdAfter ? { createdAfter: request.createdAfter } : {}),
            ...(request.createdBefore ? { createdBefore: request.createdBefore } : {}),
            pageSize: request.pageSize,
            pageToken: request.pageToken,
          });
          return { notifications: page.records.map(toProtoNotification), nextPageToken: page.nextPageToken };
        },
        get: async (request, ctx) => {
          const { record, message } = await log.get(await callerOf(ctx), request.eventId);
          return {
            notification: toProtoNotification(record),
            ...(message
              ? {
                  message: {
                    from: message.from,
                    to: message.to,
                    subject: message.subject,
                    html: message.html,
                    text: message.text,
                  },
                }
              : {}),
          };
        },
      },
      deps,
    ),
  };
}
