import { z } from 'zod';

/** Hard cap on a base64 string before any decoding (the precise byte limit is checked after). */
const MAX_BASE64_CHARS = 16 * 1024 * 1024;

/** A photo: base64 (a `data:` URL is fine) from JSON clients, raw bytes from the REST mirror's multipart. */
export const imageSchema = z.union([z.string().min(1).max(MAX_BASE64_CHARS), z.instanceof(Uint8Array)]);

export const idSchema = z.string().min(1).max(128);
export const localeSchema = z.enum(['en', 'pt-BR', 'es']);
export const roleSchema = z.enum(['user', 'admin', 'master']);
export const sessionModeSchema = z
  .enum(['token', 'cookie'])
  .default('token')
  .describe(
    '"cookie": the dashboard keeps tokens in HttpOnly cookies; "token": they are returned in the body',
  );

export const pageSchema = {
  pageSize: z.number().int().min(1).max(100).default(20),
  pageToken: z.string().max(512).default(''),
};

export const passwordSchema = z.string().min(1).max(1024);

/** Group photos: take the largest face instead of refusing MULTIPLE_FACES (the answer's face says which). */
export const largestFaceSchema = z
  .boolean()
  .default(false)
  .describe('use the largest face when the photo has several (default: refuse with MULTIPLE_FACES)');

/**
 * A liveness capture (docs/liveness.md): the session StartLiveness returned and the frames taken
 * while following its moves (base64 JPEG/PNG/WebP with capture times in ms from the first), or one
 * short WebM/MP4 clip. biometrics checks the budget (6..48 frames, 2..10 fps, <= 8 s).
 */
export const livenessSchema = z
  .object({
    session: z.string().min(1).max(4096),
    frames: z
      .array(z.object({ image: imageSchema, tMs: z.number().int().min(0).max(60_000) }))
      .max(64)
      .default([]),
    clip: imageSchema.optional(),
  })
  .describe('a liveness capture: `session` from /api/auth/liveness and its `frames` (or a `clip`)');

/** What an enrollment takes: a liveness capture or, where the deployment allows it, 1-5 photos. */
export const enrollFacesShape = {
  images: z.array(imageSchema).max(5).default([]),
  liveness: livenessSchema.optional(),
  largestFace: largestFaceSchema,
};
export const hasFaces = (v: { images: unknown[]; liveness?: unknown }) =>
  v.images.length > 0 || v.liveness !== undefined;
export const NO_FACES = { message: 'a liveness capture (or 1-5 photos) is required', path: ['liveness'] };
