import { allowedActions, creatableRoles, type AccessClaims, type Role } from '@guardian/auth';
import { DomainError, isDomainError } from '@guardian/domain';
import { NotificationStatus } from '@guardian/proto/gen/guardian/notifier/v1/notification';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import type { FeedEvent } from '../services/live-feed.js';
import { json } from './json.js';
import { statusName } from './me.js';
import { idSchema, localeSchema, pageSchema, passwordSchema, roleSchema } from './schemas.js';
import { systemStatus } from './system.js';
import { adminProcedure, callOptions, router, streamLifetime, type Context } from './trpc.js';

type AdminContext = Context & { claims: AccessClaims };

/** A value, or undefined when the service answered with a DomainError (partial pages beat error pages). */
async function optional<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (isDomainError(error)) return undefined;
    throw error;
  }
}

const STATUS_BY_NAME: Record<string, NotificationStatus> = {
  pending: NotificationStatus.NOTIFICATION_STATUS_PENDING,
  sent: NotificationStatus.NOTIFICATION_STATUS_SENT,
  failed: NotificationStatus.NOTIFICATION_STATUS_FAILED,
  suppressed: NotificationStatus.NOTIFICATION_STATUS_SUPPRESSED,
};

/** identity's attempt outcomes in the words the live feed uses. */
const OUTCOME_NAMES: Record<string, string> = { success: 'succeeded', failure: 'failed', blocked: 'blocked' };

const usersRouter = router({
  /** Paginated; search by name, username or e-mail; filters. Each row says which actions the caller may take. */
  list: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/users',
        summary:
          'List and search users (query, role, status, verified; pageSize, pageToken), each with the actions the caller may take',
        tag: 'admin',
      },
    })
    .input(
      z
        .object({
          ...pageSchema,
          query: z.string().max(200).default(''),
          role: z.union([roleSchema, z.literal('')]).default(''),
          status: z.enum(['', 'active', 'pending_enrollment', 'disabled']).default(''),
          verified: z.boolean().optional(),
        })
        .default({ pageSize: 20, pageToken: '', query: '', role: '', status: '' }),
    )
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.users.listUsers(input, callOptions(ctx));
      return {
        users: result.users.map((user) => ({
          ...json(user),
          allowed: allowedActions(actorOf(ctx.claims), user),
        })),
        nextPageToken: result.nextPageToken,
        totalSize: result.totalSize,
        creatableRoles: creatableRoles(ctx.claims.role),
      };
    }),

  /** Everything the user detail page shows, in one round trip (sections that fail come back empty). */
  get: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/users/:userId',
        summary:
          'One user: profile, verification, face enrollment, notifications, sessions, sign-in attempts and liveness checks',
        tag: 'admin',
      },
    })
    .input(z.object({ userId: idSchema }))
    .query(async ({ ctx, input }) => {
      const options = callOptions(ctx);
      const { user } = await ctx.clients.users.getUser({ userId: input.userId }, options);
      // The id identity resolved (the input may be the account's number): the other services know ids.
      const userId = user!.id;
      const [verification, enrollment, notifications, sessions, attempts, liveness] = await Promise.all([
        optional(ctx.clients.verification.getStatus({ userId }, options)),
        optional(ctx.clients.faces.getEnrollment({ userId }, options)),
        optional(
          ctx.clients.notifications.list(
            { userId, statuses: [], templates: [], pageSize: 10, pageToken: '' },
            options,
          ),
        ),
        optional(ctx.clients.auth.listSessions({ userId }, options)),
        optional(ctx.clients.auth.listLoginAttempts({ userId, limit: 20 }, options)),
        optional(ctx.clients.faces.listLivenessChecks({ userId, limit: 20 }, options)),
      ]);
      return {
        user: json(user!),
        allowed: allowedActions(actorOf(ctx.claims), user!),
        verification: verification?.status ? json(verification.status) : null,
        biometric: enrollment ? json(enrollment) : null,
        /** From identity's attempt log; null when the caller may not see them (admins: users only). */
        loginAttempts:
          attempts?.attempts.map((a) => ({ ...json(a), outcome: OUTCOME_NAMES[a.outcome] ?? a.outcome })) ??
          null,
        /** biometrics' liveness audit (challenge, per-frame pose and eye openness, decision, score). */
        livenessChecks: liveness ? json(liveness.checks) : null,
        sessions: sessions ? json(sessions.sessions) : null,
        notifications:
          notifications?.notifications.map((n) => ({ ...json(n), status: statusName(n.status) })) ?? null,
      };
    }),

  /** Ends one session of a user the caller manages. */
  revokeSession: adminProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/api/admin/users/:userId/sessions/:sessionId',
        summary: 'End one session of a user you manage',
        tag: 'admin',
      },
    })
    .input(z.object({ userId: idSchema, sessionId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.clients.auth.revokeSession(input, callOptions(ctx));
      return { ok: true as const };
    }),

  create: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/admin/users',
        summary: 'Create a user (admins: role user; masters: any role)',
        tag: 'admin',
        status: 201,
      },
    })
    .input(
      z.object({
        username: z.string().min(1).max(64),
        email: z.string().min(3).max(320),
        password: passwordSchema,
        fullName: z.string().max(200).default(''),
        locale: localeSchema.default('en'),
        role: roleSchema.default('user'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user } = await ctx.clients.users.createUser(input, callOptions(ctx));
      return { user: json(user!) };
    }),

  update: adminProcedure
    .meta({
      rest: [
        {
          method: 'PATCH',
          path: '/api/admin/users/:userId',
          summary: 'Update a user (username, e-mail, name, locale, status; role for masters)',
          tag: 'admin',
        },
        {
          method: 'PUT',
          path: '/api/admin/users/:userId/role',
          summary: 'Set the role of a user (masters)',
          tag: 'admin',
        },
      ],
    })
    .input(
      z.object({
        userId: idSchema,
        username: z.string().min(1).max(64).optional(),
        email: z.string().min(3).max(320).optional(),
        fullName: z.string().max(200).optional(),
        locale: localeSchema.optional(),
        status: z.enum(['active', 'disabled']).optional(),
        role: roleSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { role, ...fields } = input;
      let { user } = await ctx.clients.users.updateUser(fields, callOptions(ctx));
      if (role && role !== user?.role)
        ({ user } = await ctx.clients.users.setRole({ userId: input.userId, role }, callOptions(ctx)));
      return { user: json(user!) };
    }),

  delete: adminProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/api/admin/users/:userId',
        summary: 'Delete a user you manage',
        tag: 'admin',
      },
    })
    .input(z.object({ userId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.clients.users.deleteUser({ userId: input.userId }, callOptions(ctx));
      return { ok: true as const };
    }),

  unlock: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/admin/users/:userId/unlock',
        summary: 'Lift the sign-in lock of a user you manage',
        tag: 'admin',
      },
    })
    .input(z.object({ userId: idSchema }))
    .mutation(async ({ ctx, input }) => {
      const { user } = await ctx.clients.users.unlockUser({ userId: input.userId }, callOptions(ctx));
      return { user: json(user!) };
    }),
});

const documentsRouter = router({
  /** Users with documents waiting for review, each with their pending documents. */
  queue: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/documents/pending',
        summary: 'Users with identity documents waiting for review',
        tag: 'admin',
      },
    })
    .input(z.object(pageSchema).optional())
    .query(async ({ ctx, input }) => {
      const options = callOptions(ctx);
      const page = await ctx.clients.verification.listPending(
        { pageSize: input?.pageSize ?? 20, pageToken: input?.pageToken ?? '' },
        options,
      );
      const items = await Promise.all(
        page.users.map(async (user) => {
          const { documents } = await ctx.clients.verification.listDocuments(
            { userId: user.id, status: 'pending' },
            options,
          );
          return { user: json(user), documents: json(documents) };
        }),
      );
      return { items, nextPageToken: page.nextPageToken };
    }),

  /** One document with its content (base64) for the preview. */
  get: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/documents/:documentId',
        summary: 'One identity document with its content',
        tag: 'admin',
      },
    })
    .input(z.object({ documentId: idSchema }))
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.verification.getDocument(
        { documentId: input.documentId, includeContent: true },
        callOptions(ctx),
      );
      return { document: json(result.document!), content: result.content.toString('base64') };
    }),

  review: adminProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/admin/documents/:documentId/review',
        summary: 'Approve or reject a document (a reason is required to reject; not your own)',
        tag: 'admin',
      },
    })
    .input(
      z.object({
        documentId: idSchema,
        decision: z.enum(['approve', 'reject']),
        reason: z.string().max(500).default(''),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.decision === 'reject' && !input.reason.trim()) {
        throw new DomainError('invalid', 'REASON_REQUIRED', 'Say why the document is rejected.');
      }
      const { document } = await ctx.clients.verification.reviewDocument(input, callOptions(ctx));
      return { document: json(document!) };
    }),

  forUser: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/users/:userId/documents',
        summary: "A user's identity documents",
        tag: 'admin',
      },
    })
    .input(z.object({ userId: idSchema }))
    .query(async ({ ctx, input }) => {
      const { documents } = await ctx.clients.verification.listDocuments(
        { userId: input.userId, status: '' },
        callOptions(ctx),
      );
      return { documents: json(documents) };
    }),
});

const deliveriesRouter = router({
  /** The e-mail delivery log, newest first. */
  list: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/deliveries',
        summary: 'The e-mail delivery log, newest first (userId, statuses, templates; pageSize, pageToken)',
        tag: 'admin',
      },
    })
    .input(
      z
        .object({
          userId: z.string().max(128).default(''),
          statuses: z.array(z.enum(['pending', 'sent', 'failed', 'suppressed'])).default([]),
          templates: z.array(z.string().max(64)).max(20).default([]),
          pageSize: z.number().int().min(1).max(200).default(50),
          pageToken: z.string().max(512).default(''),
        })
        .default({ userId: '', statuses: [], templates: [], pageSize: 50, pageToken: '' }),
    )
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.notifications.list(
        { ...input, statuses: input.statuses.map((s) => STATUS_BY_NAME[s]!) },
        callOptions(ctx),
      );
      return {
        notifications: result.notifications.map((n) => ({ ...json(n), status: statusName(n.status) })),
        nextPageToken: result.nextPageToken,
      };
    }),

  /** One delivery and the rendered message the outbox stored (HTML shown in a sandboxed frame). */
  get: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/deliveries/:eventId',
        summary: 'One delivery and the message stored for it',
        tag: 'admin',
      },
    })
    .input(z.object({ eventId: idSchema }))
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.notifications.get({ eventId: input.eventId }, callOptions(ctx));
      return {
        notification: { ...json(result.notification!), status: statusName(result.notification!.status) },
        message: result.message ? json(result.message) : null,
      };
    }),
});

/** Waits for the next feed row or the end of the subscription. */
function nextRow(
  queue: FeedEvent[],
  signal: AbortSignal | undefined,
  register: (wake: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    if (queue.length || signal?.aborted) return resolve();
    register(resolve);
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Which feed rows a viewer may see: attempts on accounts they manage or their own (identity's
 * activity rule), and attempts that matched no account. An admin sees nothing about masters.
 */
export const visibleTo =
  (viewer: { userId: string; role: Role }) =>
  (row: FeedEvent): boolean =>
    row.userId === '' || allowedActions(actorOf(viewer), { id: row.userId, role: row.role }).activity;

/** The caller as the role rules (@guardian/auth `can`) name an actor. */
const actorOf = (claims: { userId: string; role: Role }) => ({ id: claims.userId, role: claims.role });

async function* liveLoginAttempts(
  ctx: AdminContext,
  input: { lastEventId?: string | null | undefined; userId?: string | undefined } | undefined,
  requestSignal: AbortSignal | undefined,
) {
  const lifetime = streamLifetime(ctx, requestSignal);
  const signal = lifetime.signal;
  const queue: FeedEvent[] = [];
  let wake: (() => void) | undefined;
  const visible = visibleTo(ctx.claims);
  const matches = (row: FeedEvent) => visible(row) && (!input?.userId || row.userId === input.userId);
  // Subscribe first, then back-fill: nothing falls in the gap; duplicates are skipped by sequence.
  const unsubscribe = ctx.feed.subscribe((row) => {
    if (!matches(row)) return;
    queue.push(row);
    wake?.();
  });
  try {
    const after = Number(input?.lastEventId);
    const backlog =
      Number.isFinite(after) && input?.lastEventId
        ? ctx.feed.since(after).filter(matches)
        : ctx.feed.recent({ userId: input?.userId, limit: 50, where: visible }).reverse();
    let last = 0;
    for (const row of backlog) {
      last = row.seq;
      yield tracked(String(row.seq), row);
    }
    while (!signal?.aborted) {
      await nextRow(queue, signal, (resolve) => (wake = resolve));
      wake = undefined;
      while (queue.length) {
        const row = queue.shift()!;
        if (row.seq <= last) continue;
        last = row.seq;
        yield tracked(String(row.seq), row);
      }
    }
  } finally {
    unsubscribe();
    lifetime.end();
  }
}

export const adminRouter = router({
  users: usersRouter,
  documents: documentsRouter,
  deliveries: deliveriesRouter,

  verifiedUsers: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/verification/verified',
        summary: 'Users verified (an approved identity document and a face)',
        tag: 'admin',
      },
    })
    .input(z.object(pageSchema).optional())
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.verification.listVerified(
        { pageSize: input?.pageSize ?? 20, pageToken: input?.pageToken ?? '' },
        callOptions(ctx),
      );
      return { users: json(result.users), nextPageToken: result.nextPageToken };
    }),

  pendingUsers: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/verification/pending',
        summary: 'Users not verified yet',
        tag: 'admin',
      },
    })
    .input(z.object(pageSchema).optional())
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.verification.listPending(
        { pageSize: input?.pageSize ?? 20, pageToken: input?.pageToken ?? '' },
        callOptions(ctx),
      );
      return { users: json(result.users), nextPageToken: result.nextPageToken };
    }),

  /** Recent login attempts (newest first), for everyone or one user. */
  loginAttempts: adminProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/admin/login-attempts',
        summary: 'Recent sign-in attempts on accounts you manage (userId, limit)',
        tag: 'admin',
      },
    })
    .input(
      z
        .object({
          userId: z.string().max(128).optional(),
          limit: z.number().int().min(1).max(500).default(100),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ({
      attempts: ctx.feed.recent({
        userId: input?.userId,
        limit: input?.limit ?? 100,
        where: visibleTo(ctx.claims),
      }),
    })),

  /** Login attempts as they happen (SSE); resumes after `lastEventId` (the stream sequence). */
  liveEvents: adminProcedure
    .meta({ noRest: 'a subscription (server-sent events): /trpc/admin.liveEvents' })
    .input(
      z
        .object({ lastEventId: z.string().max(32).nullish(), userId: z.string().max(128).optional() })
        .optional(),
    )
    .subscription(({ ctx, input, signal }) => liveLoginAttempts(ctx, input, signal)),

  systemStatus: adminProcedure
    .meta({ noRest: 'the same answer as system.status: GET /api/system/status' })
    .query(({ ctx }) => systemStatus(ctx)),
});
