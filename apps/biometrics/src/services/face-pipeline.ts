/**
 * Photo -> faces: image intake (decode, limits) -> the inference pool -> face checks. Knows which
 * detector each operation uses. The pixels are handed to the pool (transferred) and never kept:
 * raw photos are not stored anywhere.
 */
import { DomainError, isDomainError } from '@guardian/domain';
import {
  requireFaces,
  requireSingleFace,
  type AnalyzedFace,
  type Box,
  type DescribedFace,
  type DetectorKind,
  type InferencePool,
} from '../repositories/inference/index.js';
import { decodeImage, type ImageIntakeOptions } from './image-intake.js';

export type FaceOperation = 'enroll' | 'verify' | 'identify' | 'compare' | 'detect';

export interface FacePipelineOptions {
  detectors: Record<FaceOperation, DetectorKind>;
  tinyInputSize: number;
  intake: ImageIntakeOptions;
  /** Working size per operation where it differs from `intake.workingSize`. */
  workingSizes?: Partial<Record<FaceOperation, number>>;
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

  private detection(op: FaceOperation) {
    const detector = this.options.detectors[op];
    return detector === 'tiny' ? { detector, inputSize: this.options.tinyInputSize } : { detector };
  }

  private run(ctx: RunContext) {
    return {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    };
  }

  /** Exactly one face passing the quality gates, with its descriptor. */
  async singleFace(
    input: ImageInput | undefined,
    op: FaceOperation,
    ctx: RunContext,
    imageIndex?: number,
  ): Promise<SingleFace> {
    try {
      if (input === undefined || input.length === 0)
        throw new DomainError('invalid', 'IMAGE_REQUIRED', 'an image is required');
      const workingSize = this.options.workingSizes?.[op];
      const image = await decodeImage(input, {
        ...this.options.intake,
        ...(workingSize ? { workingSize } : {}),
      });
      const result = await this.pool.describe({ image, ...this.detection(op) }, this.run(ctx));
      const face: DescribedFace = requireSingleFace(result);
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
    const result = await this.pool.analyze(
      { image, ...this.detection('detect'), withAgeGender: options.withAgeGender ?? false },
      this.run(ctx),
    );
    const faces = options.required
      ? requireFaces(result, { minFaceSize: 1, minWorkingFaceSize: 1, minQualityScore: 0 })
      : result.faces;
    return { faces, width, height };
  }
}
