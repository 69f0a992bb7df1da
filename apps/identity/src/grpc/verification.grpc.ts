import type { AsyncService } from '@guardian/grpc-kit';
import type { VerificationServiceServer } from '@guardian/proto/gen/guardian/identity/v1/verification';
import { nextPageToken, parsePage } from '../services/user.service.js';
import type { VerificationService } from '../services/verification.service.js';
import { toDocument, toUser } from './mappers.js';

/** VerificationService transport. */
export function verificationHandlers(
  verification: VerificationService,
): AsyncService<VerificationServiceServer> {
  return {
    submitDocument: async (req, ctx) => ({
      document: toDocument(
        await verification.submit(
          await ctx.auth(),
          { type: req.type, content: Buffer.from(req.content), fileName: req.fileName },
          ctx.requestId,
        ),
      ),
    }),
    reviewDocument: async (req, ctx) => ({
      document: toDocument(await verification.review(await ctx.auth(), req, ctx.requestId)),
    }),
    listDocuments: async (req, ctx) => ({
      documents: (await verification.list(await ctx.auth(), req.userId, req.status)).map(toDocument),
    }),
    getDocument: async (req, ctx) => {
      const { document, content } = await verification.get(
        await ctx.auth(),
        req.documentId,
        req.includeContent,
      );
      return { document: toDocument(document), content: content ?? Buffer.alloc(0) };
    },
    getStatus: async (req, ctx) => {
      const view = await verification.status(await ctx.auth(), req.userId);
      const b = view.user.biometric;
      return {
        status: {
          userId: view.user._id,
          fullName: view.user.fullName,
          email: view.user.email,
          counts: {
            total: view.total,
            pending: view.pending,
            approved: view.approved,
            rejected: view.rejected,
          },
          documents: view.documents.map(toDocument),
          biometric: {
            enrolled: b.enrolled,
            enrolledAt: b.enrolledAt ?? undefined,
            modelId: b.modelId ?? '',
            sampleCount: b.sampleCount ?? 0,
          },
          verified: view.verified,
          canUseSystem: view.canUseSystem,
        },
      };
    },
    listVerified: async (req, ctx) => {
      const page = parsePage(req.pageSize, req.pageToken);
      const { users, total } = await verification.listVerified(await ctx.auth(), page);
      return { users: users.map((u) => toUser(u)), nextPageToken: nextPageToken(page, users.length, total) };
    },
    listPending: async (req, ctx) => {
      const page = parsePage(req.pageSize, req.pageToken);
      const { users, total } = await verification.listPending(await ctx.auth(), page);
      return { users: users.map((u) => toUser(u)), nextPageToken: nextPageToken(page, users.length, total) };
    },
  };
}
