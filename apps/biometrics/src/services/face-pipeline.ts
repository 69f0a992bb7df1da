/**
 * Photo -> faces: image intake (decode, limits) -> the inference pool -> face checks. Knows which
 * detector each operation uses. The pixels are handed to the pool (transferred) and never kept:
 * raw photos are not stored anywhere.
 */
import { DomainError, isDomainError } from '@guardian/domain';
import {
  requireFaces,
  requireSingleFace,
  type DescribeResult,
  type FacePick,
  type AnalyzedFace,
  type Box,
  type DescribedFace,
  type DetectorKind,
  type InferencePool,
} from '../repositories/inference/index.js';
import { decodeImage, type DecodedImage, type ImageIntakeOptions } from './image-intake.js';

export type FaceOperation = 'enroll' | 'verify' | 'identify' | 'compare' | 'detect';

/** One detector setting: `tiny` at an input size (default: the pipeline's `tinyInputSize`), or `ssd`. */
export interface DetectionStep {
  detector: DetectorKind;
  inputSize?: number;
}

/**
 * Detectors tried in order on the same photo until one finds a face (the later ones only run when the
 * earlier found none). Measured on real photos (docs/matching.md): the tiny detector at 416 misses
 * large faces that it finds at 320, and ssd misses others that tiny finds.
 */
export type DetectorCascade = readonly DetectionStep[];

/** `tiny:320,ssd` <-> steps; `tiny` alone means the configured tiny input size. */
export function parseDetectorCascade(text: string): DetectorCascade {
  const steps = text.split(',').map((part) => {
    const m = /^(tiny|ssd)(?::(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`detector "${part}" is not tiny, tiny:<size> or ssd`);
    const inputSize = m[2] === undefined ? undefined : Number(m[2]);
    if (
      inputSize !== undefined &&
      (m[1] !== 'tiny' || inputSize % 32 !== 0 || inputSize < 128 || inputSize > 1024)
    )
      throw new Error(`detector "${part}": only tiny takes a size, a multiple of 32 in 128..1024`);
    return { detector: m[1] as DetectorKind, ...(inputSize === undefined ? {} : { inputSize }) };
  });
  if (steps.length === 0 || steps.length > 3) throw new Error('one to three detectors');
  return steps;
}

/** `tiny320+ssd`: a cascade's name (`tinyInputSize` fills in tiny steps without a size). */
export const cascadeName = (steps: DetectorCascade, tinyInputSize?: number): string =>
  steps
    .map((s) => (s.detector === 'tiny' ? `tiny${s.inputSize ?? tinyInputSize ?? ''}` : s.detector))
    .join('+');

export interface FacePipelineOptions {
  detectors: Record<FaceOperation, DetectorCascade>;
  tinyInputSize: number;
  intake: ImageIntakeOptions;
  /** Working size per operation where it differs from `intake.workingSize`. */
  workingSizes?: Partial<Record<FaceOperation, number>>;
  /** Descriptors averaged with the mirrored face's (part of the model id; see docs/matching.md). */
  mirror?: boolean;
  /** The descriptor's input square: `eyes` = rotated to level eyes, `box` = upright (part of the model id). */
  align?: 'box' | 'eyes';
  timeoutMs?: number;
}

/** An uploaded image as the transport hands it over. */
export type ImageInput = Uint8Array | string;

export interface RunContext {
  signal?: AbortSignal;
}

export interface SingleFace {
  descriptor: Float32Array;
  box: Box;
  score: number;
}

export interface AnalyzedImage {
  faces: AnalyzedFace[];
  width: number;
  height: number;
}

/** Adds `imageIndex` to a DomainError about one of several images. */
function forImage(error: unknown, index: number | undefined): unknown {
  if (index === undefined || !isDomainError(error)) return error;
  return new DomainError(error.kind, error.reason, `image ${index}: ${error.message}`, {
    metadata: { ...error.metadata, imageIndex: String(index) },
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    cause: error,
  });
}

export class FacePipeline {
  constructor(
    private readonly pool: InferencePool,
    private readonly options: FacePipelineOptions,
  ) {}

  get backend() {
    return this.pool.backend;
  }

  private detection(step: DetectionStep) {
    return step.detector === 'tiny'
      ? { detector: step.detector, inputSize: step.inputSize ?? this.options.tinyInputSize }
      : { detector: step.detector };
  }

  /** Runs the operation's detectors in order until one finds a face (the last one's answer stands). */
  private async cascade<R extends { faces: unknown[] }>(
    op: FaceOperation,
    image: DecodedImage,
    run: (image: DecodedImage, detection: ReturnType<FacePipeline['detection']>) => Promise<R>,
  ): Promise<R> {
    const steps = this.options.detectors[op];
    for (let i = 0; ; i++) {
      const last = i >= steps.length - 1;
      // The pool takes the pixels (transferred): keep a copy while another detector may need them.
      const result = await run(
        last ? image : { ...image, pixels: image.pixels.slice() },
        this.detection(steps[i]!),
      );
      if (last || result.faces.length > 0) return result;
    }
  }

  private run(ctx: RunContext) {
    return {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    };
  }

  /** Every face the operation's detector finds, with descriptors (intake and inference, no gates). */
  async describeFaces(
    input: ImageInput | undefined,
    op: FaceOperation,
    ctx: RunContext,
  ): Promise<DescribeResult> {
    if (input === undefined || input.length === 0)
      throw new DomainError('invalid', 'IMAGE_REQUIRED', 'an image is required');
    const workingSize = this.options.workingSizes?.[op];
    const image = await decodeImage(input, {
      ...this.options.intake,
      ...(workingSize ? { workingSize } : {}),
    });
    const descriptor = {
      ...(this.options.mirror ? { mirror: true } : {}),
      ...(this.options.align ? { align: this.options.align } : {}),
    };
    return this.cascade(op, image, (img, detection) =>
      this.pool.describe({ image: img, ...detection, ...descriptor }, this.run(ctx)),
    );
  }

  /** One face (`pick`: the only one, or the largest) passing the quality gates, with its descriptor. */
  async singleFace(
    input: ImageInput | undefined,
    op: FaceOperation,
    ctx: RunContext & { pick?: FacePick },
    imageIndex?: number,
  ): Promise<SingleFace> {
    try {
      const result = await this.describeFaces(input, op, ctx);
      const face: DescribedFace = requireSingleFace(result, {}, ctx.pick);
      return { descriptor: face.descriptor, box: face.box, score: face.score };
    } catch (error) {
      throw forImage(error, imageIndex);
    }
  }

  /** Every face with landmarks, expressions (and age/gender when asked). `required`: NO_FACE when none. */
  async analyze(
    input: ImageInput | undefined,
    ctx: RunContext,
    options: { withAgeGender?: boolean; required?: boolean } = {},
  ): Promise<AnalyzedImage> {
    if (input === undefined || input.length === 0)
      throw new DomainError('invalid', 'IMAGE_REQUIRED', 'an image is required');
    const image = await decodeImage(input, this.options.intake);
    const { originalWidth: width, originalHeight: height } = image;
    const withAgeGender = options.withAgeGender ?? false;
    const result = await this.cascade('detect', image, (img, detection) =>
      this.pool.analyze({ image: img, ...detection, withAgeGender }, this.run(ctx)),
    );
    const faces = options.required
      ? requireFaces(result, { minFaceSize: 1, minWorkingFaceSize: 1, minQualityScore: 0 })
      : result.faces;
    return { faces, width, height };
  }
}
