import { NotificationStatus } from '@guardian/proto/gen/guardian/notifier/v1/notification';
import { z } from 'zod';
import { json } from './json.js';
import { idSchema, localeSchema, passwordSchema } from './schemas.js';
import { callOptions, protectedProcedure, router } from './trpc.js';

const personalInfo = z.object({
  phone: z.string().max(40).optional(),
  address: z.string().max(300).optional(),
  birthDate: z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2})?$/, 'YYYY-MM-DD')
    .optional(),
  bio: z.string().max(2_000).optional(),
});

export const statusName = (status: NotificationStatus): string =>
  ({
    [NotificationStatus.NOTIFICATION_STATUS_PENDING]: 'pending',
    [NotificationStatus.NOTIFICATION_STATUS_SENT]: 'sent',
    [NotificationStatus.NOTIFICATION_STATUS_FAILED]: 'failed',
    [NotificationStatus.NOTIFICATION_STATUS_SUPPRESSED]: 'suppressed',
  })[status as number] ?? 'unknown';

export const meRouter = router({
  /** The caller's account and profile. */
  profile: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/user/profile',
        summary: 'Your account and profile',
        tag: 'user',
      },
    })
    .query(async ({ ctx }) => {
      const { user } = await ctx.clients.users.getProfile({}, callOptions(ctx));
      return { user: json(user!) };
    }),

  /** Name, language and personal information. */
  updateProfile: protectedProcedure
    .meta({
      rest: {
        method: 'PATCH',
        path: '/api/user/profile',
        summary: 'Change name, language or personal information',
        tag: 'user',
      },
    })
    .input(
      personalInfo.extend({
        fullName: z.string().min(1).max(200).optional(),
        locale: localeSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user } = await ctx.clients.users.updateProfile(input, callOptions(ctx));
      return { user: json(user!) };
    }),

  /** Personal information only (phone, address, birth date, bio): the older systems' `/user/info`. */
  savePersonalInfo: protectedProcedure
    .meta({
      rest: [
        {
          method: 'POST',
          path: '/api/user/info',
          summary: 'Save personal information (phone, address, birth date, bio)',
          tag: 'user',
          status: 201,
          adapt: (raw) => ({ ...raw, birthDate: raw.birthDate ?? raw.birth_date }),
        },
        {
          method: 'PUT',
          path: '/api/user/info',
          summary: 'Save personal information (phone, address, birth date, bio)',
          tag: 'user',
          adapt: (raw) => ({ ...raw, birthDate: raw.birthDate ?? raw.birth_date }),
        },
      ],
    })
    .input(personalInfo)
    .mutation(async ({ ctx, input }) => {
      const { user } = await ctx.clients.users.updateProfile(input, callOptions(ctx));
      return { user: json(user!) };
    }),

  sessions: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/user/sessions',
        summary: 'Your live sessions',
        tag: 'user',
      },
    })
    .query(async ({ ctx }) => {
      const { sessions } = await ctx.clients.auth.listSessions({ userId: '' }, callOptions(ctx));
      return { sessions: json(sessions) };
    }),

  revokeSession: protectedProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/api/user/sessions/:sessionId',
        summary: 'End one of your sessions',
        tag: 'user',
      },
    })
    .input(z.object({ sessionId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.clients.auth.revokeSession({ sessionId: input.sessionId, userId: '' }, callOptions(ctx));
      return { ok: true as const };
    }),

  /** Needs the current password; signs out the caller's other sessions. */
  changePassword: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/user/password',
        summary: 'Change your password (other sessions end)',
        tag: 'user',
      },
    })
    .meta({ rateLimit: 'signIn' })
    .input(z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const { revokedSessions } = await ctx.clients.auth.changePassword(
        { ...input, client: ctx.client },
        callOptions(ctx),
      );
      return { revokedSessions };
    }),

  notificationPreferences: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/user/notification-preferences',
        summary: 'Your e-mail preferences',
        tag: 'user',
      },
    })
    .query(async ({ ctx }) => {
      const { preferences } = await ctx.clients.notifications.getPreferences(
        { userId: '' },
        callOptions(ctx),
      );
      return { preferences: json(preferences!) };
    }),

  updateNotificationPreferences: protectedProcedure
    .meta({
      rest: {
        method: 'PUT',
        path: '/api/user/notification-preferences',
        summary: 'Change your e-mail preferences',
        tag: 'user',
      },
    })
    .input(z.object({ loginSuccessAlerts: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { preferences } = await ctx.clients.notifications.updatePreferences(
        { userId: '', ...input },
        callOptions(ctx),
      );
      return { preferences: json(preferences!) };
    }),

  /** E-mails sent to the caller, newest first. */
  notifications: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/user/notifications',
        summary: 'E-mails sent to you',
        tag: 'user',
      },
    })
    .input(
      z
        .object({
          pageSize: z.number().int().min(1).max(200).default(50),
          pageToken: z.string().max(512).default(''),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.notifications.list(
        {
          userId: ctx.claims.userId,
          statuses: [],
          templates: [],
          pageSize: input?.pageSize ?? 50,
          pageToken: input?.pageToken ?? '',
        },
        callOptions(ctx),
      );
      return {
        notifications: result.notifications.map((n) => ({ ...json(n), status: statusName(n.status) })),
        nextPageToken: result.nextPageToken,
      };
    }),
});
