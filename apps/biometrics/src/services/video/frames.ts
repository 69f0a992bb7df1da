/**
 * What the analysis asks of the inference pool and of sharp, as plain functions (so a benchmark can
 * run the same frame work as the service).
 */
import { isDomainError } from '@guardian/domain';
import sharp from 'sharp';
import type {
  AnalyzedFace,
  Box,
  DetectorKind,
  InferencePool,
  RawImage,
} from '../../repositories/inference/index.js';
import type { RawFrame } from '../../repositories/video-decoder.js';

const THUMBNAIL_PX = 96;

/**
 * Expressions and descriptors of every face in a frame. Video frames wait for room in the pool's
 * bounded queue (sign-ins keep priority: they are refused at once, the video retries) until `signal`.
 */
export function poolAnalyzer(pool: InferencePool, detector: DetectorKind) {
  return async (image: RawImage, signal: AbortSignal): Promise<AnalyzedFace[]> => {
    for (;;) {
      try {
        // A fresh copy per try: the pool detaches what it transfers.
        const result = await pool.analyze(
          { image: { ...image, pixels: image.pixels.slice() }, detector, withDescriptors: true },
          { signal, timeoutMs: 120_000 },
        );
        return result.faces;
      } catch (error) {
        if (!isDomainError(error) || error.reason !== 'INFERENCE_QUEUE_FULL' || signal.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, error.retryAfterMs ?? 100)));
      }
    }
  };
}

/** The face's box (with a margin) from the frame, as a small square JPEG in base64. */
export async function faceThumbnail(frame: RawFrame, box: Box): Promise<string> {
  const margin = 0.2 * Math.max(box.width, box.height);
  const left = Math.max(0, Math.floor(box.x - margin));
  const top = Math.max(0, Math.floor(box.y - margin));
  const width = Math.min(frame.width - left, Math.ceil(box.width + 2 * margin));
  const height = Math.min(frame.height - top, Math.ceil(box.height + 2 * margin));
  if (width < 2 || height < 2) return '';
  const jpeg = await sharp(frame.pixels, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'cover' })
    .jpeg({ quality: 80 })
    .toBuffer();
  return jpeg.toString('base64');
}
