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
import type { StoredFrame } from '../../repositories/video-job.repository.js';
import { dominantOf, linkFrame, type TrackerState } from './tracks.js';

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

/**
 * One analysed frame into the tracks: links its faces (in frame order), and where a face is its
 * track's best so far, keeps its thumbnail. Returns each face's track id.
 */
export async function trackFrame(
  tracker: TrackerState,
  frame: RawFrame,
  faces: AnalyzedFace[],
  thumbnail: (frame: RawFrame, box: Box) => Promise<string>,
): Promise<number[]> {
  const ids = linkFrame(
    tracker,
    frame.index,
    frame.tMs,
    faces.map((f) => ({
      score: f.score,
      box: f.box,
      expressions: f.expressions,
      descriptor: f.descriptor ?? [],
    })),
  );
  for (const [i, face] of faces.entries()) {
    const track = tracker.tracks.find((t) => t.id === ids[i]);
    if (track && face.score > track.bestScore) {
      track.bestScore = face.score;
      track.bestMs = frame.tMs;
      track.thumbnail = await thumbnail(frame, face.box);
    }
  }
  return ids;
}

const tenth = (n: number) => Math.round(n * 10) / 10;

/** A frame's stored row: its faces with their track, score, box in video pixels (`scale`: video / frame width) and scores. */
export function frameRow(frame: RawFrame, faces: AnalyzedFace[], ids: number[], scale: number): StoredFrame {
  return {
    index: frame.index,
    tMs: frame.tMs,
    faces: faces.map((f, i) => ({
      trackId: ids[i]!,
      score: Math.round(f.score * 1000) / 1000,
      box: {
        x: tenth(f.box.x * scale),
        y: tenth(f.box.y * scale),
        width: tenth(f.box.width * scale),
        height: tenth(f.box.height * scale),
      },
      expressions: f.expressions,
      dominantExpression: dominantOf(f.expressions),
    })),
  };
}
