import { isDomainError } from '@guardian/domain';
import { z } from 'zod';
import { imageOf, readImage, readLiveness } from '../services/uploads.js';
import { json } from './json.js';
import { imagesFrom, single } from './rest-meta.js';
import { enrollFacesShape, hasFaces, NO_FACES, idSchema, imageSchema, largestFaceSchema } from './schemas.js';
import { callOptions, protectedProcedure, router } from './trpc.js';

const forUser = z.object({
  userId: idSchema.optional().describe('admins: another user; default the caller'),
});

export const biometricsRouter = router({
  /** Creates or replaces the face template from 1..5 photos (3 recommended), one face each. */
  enroll: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/user/face/register',
        summary:
          'Register your face from a liveness capture (`liveness`, from /api/auth/liveness with purpose enroll); from 1-5 photos (multipart `image`, repeatable, or base64 `images`) only where BIOMETRICS_LIVENESS_ENROLL=optional or your role is waived',
        tag: 'face',
        status: 201,
        files: { image: 'image[]', images: 'images[]' },
        adapt: imagesFrom,
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(forUser.extend(enrollFacesShape).refine(hasFaces, NO_FACES))
    .mutation(async ({ ctx, input }) => {
      const images = input.images.map((image, i) =>
        imageOf(readImage(image, ctx.limits.imageBytes, `images[${i}]`)),
      );
      const liveness = input.liveness ? { liveness: readLiveness(input.liveness) } : {};
      const result = await ctx.clients.faces.enroll(
        {
          userId: input.userId ?? ctx.claims.userId,
          images,
          client: ctx.client,
          largestFace: input.largestFace,
          ...liveness,
        },
        callOptions(ctx),
      );
      return json(result);
    }),

  status: protectedProcedure
    .meta({
      rest: {
        method: 'GET',
        path: '/api/user/face',
        summary: 'Your face enrollment',
        tag: 'face',
      },
    })
    .input(forUser.optional())
    .query(async ({ ctx, input }) => {
      const result = await ctx.clients.faces.getEnrollment(
        { userId: input?.userId ?? ctx.claims.userId },
        callOptions(ctx),
      );
      return json(result);
    }),

  remove: protectedProcedure
    .meta({
      rest: {
        method: 'DELETE',
        path: '/api/user/face',
        summary: 'Delete your face template',
        tag: 'face',
      },
    })
    .input(forUser.optional())
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.clients.faces.deleteEnrollment(
        { userId: input?.userId ?? ctx.claims.userId },
        callOptions(ctx),
      );
      return json(result);
    }),

  /** 1:1: is this the caller's face (or, for admins, that user's)? No login token is issued here. */
  verify: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/user/face/recognize',
        summary: 'Is the face in the photo yours? (multipart `image` or base64)',
        tag: 'face',
        files: { image: 'image' },
        adapt: single('image'),
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(forUser.extend({ image: imageSchema, largestFace: largestFaceSchema }))
    .mutation(async ({ ctx, input }) => {
      const image = readImage(input.image, ctx.limits.imageBytes);
      const userId = input.userId ?? ctx.claims.userId;
      const r = await ctx.clients.faces.verify(
        { userId, image: imageOf(image), client: ctx.client, largestFace: input.largestFace },
        callOptions(ctx),
      );
      return {
        userId,
        match: r.match,
        confidence: r.confidence,
        distance: r.distance,
        threshold: r.threshold,
        thresholdConfidence: r.thresholdConfidence,
        face: json(r.face),
      };
    }),

  /**
   * 1:N: which enrolled users does the face in the photo match (nearest first)? biometrics decides
   * who may search every face (`face.identify`: admins and masters); each candidate comes with its
   * account.
   */
  identify: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/face/identify',
        summary:
          'Which enrolled users match the face in the photo? (admins; multipart `image` or base64; `topK` 1-50, default 5)',
        tag: 'face',
        files: { image: 'image' },
        adapt: (raw) => {
          const adapted = single('image')(raw);
          return typeof adapted.topK === 'string' ? { ...adapted, topK: Number(adapted.topK) } : adapted;
        },
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(z.object({ image: imageSchema, topK: z.number().int().min(1).max(50).default(5) }))
    .mutation(async ({ ctx, input }) => {
      const image = readImage(input.image, ctx.limits.imageBytes);
      const options = callOptions(ctx);
      const found = await ctx.clients.faces.identify({ image: imageOf(image), topK: input.topK }, options);
      // A candidate whose account is gone (its template not erased yet) comes back without one.
      const users = await Promise.all(
        found.candidates.map((candidate) =>
          ctx.clients.users.getUser({ userId: candidate.userId }, options).then(
            ({ user }) => (user ? json(user) : null),
            (error: unknown) => {
              if (isDomainError(error) && error.kind === 'not_found') return null;
              throw error;
            },
          ),
        ),
      );
      return {
        recognised: found.recognised,
        threshold: found.threshold,
        face: json(found.face),
        candidates: found.candidates.map((candidate, i) => ({ ...json(candidate), user: users[i] ?? null })),
      };
    }),

  /** Are the faces in two photos the same person? */
  compare: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/face/compare',
        summary: 'Are two photos the same person? (`image1`, `image2`)',
        tag: 'face',
        files: { image1: 'image1', image2: 'image2' },
        adapt: (raw) => single('image2')(single('image1')(raw)),
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(z.object({ image1: imageSchema, image2: imageSchema, largestFace: largestFaceSchema }))
    .mutation(async ({ ctx, input }) => {
      const image1 = readImage(input.image1, ctx.limits.imageBytes, 'image1');
      const image2 = readImage(input.image2, ctx.limits.imageBytes, 'image2');
      return json(
        await ctx.clients.faces.compare(
          { image1: imageOf(image1), image2: imageOf(image2), largestFace: input.largestFace },
          callOptions(ctx),
        ),
      );
    }),

  /** Every face in a photo: box, score, landmarks, expressions (and age/gender when asked). */
  detect: protectedProcedure
    .meta({
      rest: {
        method: 'POST',
        path: '/api/face/detect',
        summary: 'Faces, landmarks and expressions in a photo',
        tag: 'face',
        files: { image: 'image' },
        adapt: (raw) => ({
          ...single('image')(raw),
          withAgeGender: raw.withAgeGender === true || raw.withAgeGender === 'true',
        }),
      },
    })
    .meta({ rateLimit: 'upload' })
    .input(z.object({ image: imageSchema, withAgeGender: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const image = readImage(input.image, ctx.limits.imageBytes);
      return json(
        await ctx.clients.faces.detect(
          { image: imageOf(image), withAgeGender: input.withAgeGender },
          callOptions(ctx),
        ),
      );
    }),
});
