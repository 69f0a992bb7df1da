import { z } from 'zod';
import { readDocument } from '../services/uploads.js';
import { json } from './json.js';
import { single } from './rest-meta.js';
import { callOptions, protectedProcedure, router } from './trpc.js';

export const documentTypeSchema = z.enum(['id_card', 'passport', 'driver_license', 'proof_of_address']);

export const verificationRouter = router({
  /** A document (JPEG, PNG or PDF) for review; the caller's status becomes pending. */
  submit: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/verification/documents',
        summary: 'Submit an identity document (multipart `document` or base64 `content`)',
        tag: 'verification',
        status: 201,
        files: { document: 'content', content: 'content' },
        adapt: single('content'),
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(
      z.object({
        type: documentTypeSchema,
        content: z
          .union([
            z
              .string()
              .min(1)
              .max(15 * 1024 * 1024),
            z.instanceof(Uint8Array),
          ])
          .describe('base64 (or a data: URL)'),
        fileName: z.string().max(200).default(''),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { bytes } = readDocument(input.content, ctx.limits.documentBytes, 'content');
      const { document } = await ctx.clients.verification.submitDocument(
        { type: input.type, content: bytes, fileName: input.fileName },
        callOptions(ctx),
      );
      return { document: json(document!) };
    }),

  /** The caller's verification status: documents, biometric summary, verified. */
  status: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/verification/status',
        summary: 'Your verification status',
        tag: 'verification',
      },
    })
    .query(async ({ ctx }) => {
      const { status } = await ctx.clients.verification.getStatus({ userId: '' }, callOptions(ctx));
      return { status: json(status!) };
    }),

  documents: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/verification/documents',
        summary: 'Your documents',
        tag: 'verification',
      },
    })
    .query(async ({ ctx }) => {
      const { documents } = await ctx.clients.verification.listDocuments(
        { userId: '', status: '' },
        callOptions(ctx),
      );
      return { documents: json(documents) };
    }),
});
