/**
 * Typed requests and results of the inference pool. Everything here crosses the worker boundary by
 * structured clone, so it is plain data (typed arrays, numbers, strings).
 */

/** Backend preference (from BIOMETRICS_INFERENCE_BACKEND, parsed by config): auto = gpu > node > wasm. */
export type BackendPreference = 'auto' | 'gpu' | 'node' | 'wasm';
/** The backend that actually runs: tfjs-node-gpu, tfjs-node (libtensorflow CPU) or tfjs-backend-wasm. */
export type BackendName = 'gpu' | 'node' | 'wasm';

export type DetectorKind = 'tiny' | 'ssd';

/** Decoded pixels: tightly packed RGB, 3 bytes per pixel, row-major, `width * height * 3` bytes. */
export interface RawImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  /**
   * Original-size / working-size ratio (>= 1) when the image was downscaled for detection. Boxes and
   * landmarks in results are multiplied by it, so they are in the caller's original coordinates.
   */
  scale?: number;
}

export interface DetectionOptions {
  /** `tiny` (TinyFaceDetector, fast) or `ssd` (SsdMobilenetv1, slower, finds smaller/rotated faces). */
  detector: DetectorKind;
  /** TinyFaceDetector input size, a multiple of 32 (default 416). Ignored by ssd (fixed 512). */
  inputSize?: number;
  /** Detector score threshold (default 0.5 tiny / 0.5 ssd). Low-scoring faces are not returned at all. */
  minScore?: number;
  /** Upper bound on detected faces (ssd maxResults; tiny results are truncated). Default 20. */
  maxFaces?: number;
}

export interface DescribeRequest extends DetectionOptions {
  image: RawImage;
  /**
   * Average each face's descriptor with the descriptor of its mirrored aligned crop (one more pass of
   * the recognition net per face). Templates and probes must agree on it: it is part of the model id.
   */
  mirror?: boolean;
  /**
   * `eyes`: the descriptor's input square is rotated so the eyes are level (align.ts), as dlib does;
   * default `box`: face-api's upright square. Part of the model id, like `mirror`.
   */
  align?: 'box' | 'eyes';
}

export interface AnalyzeRequest extends DetectionOptions {
  image: RawImage;
  /** Also run the age/gender net (default false). */
  withAgeGender?: boolean;
  /** Also compute each face's 128-d descriptor (video tracks link faces by it). Not with age/gender. */
  withDescriptors?: boolean;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface DetectedFace {
  /** Detector confidence, 0..1. */
  score: number;
  /** Face box in original image coordinates. */
  box: Box;
  /** The 68 landmark points (iBUG layout) in original image coordinates. */
  landmarks: Point[];
}

export interface DescribedFace extends DetectedFace {
  /** 128-d face descriptor (FaceRecognitionNet, not normalised; compare with euclidean distance). */
  descriptor: Float32Array;
}

export const EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
export type Expression = (typeof EXPRESSIONS)[number];

export interface AnalyzedFace extends DetectedFace {
  expressions: Record<Expression, number>;
  age?: number;
  gender?: 'male' | 'female';
  genderProbability?: number;
  descriptor?: Float32Array;
}

export interface InferenceMeta {
  backend: BackendName;
  detector: DetectorKind;
  /** Working-image size the models saw. */
  width: number;
  height: number;
  scale: number;
  /** Time spent waiting in the pool's queue, and in the worker. */
  queuedMs: number;
  inferenceMs: number;
  /** Number of requests that shared the worker call (1 unless micro-batching is on). */
  batchSize: number;
}

export interface DescribeResult extends InferenceMeta {
  faces: DescribedFace[];
}

export interface AnalyzeResult extends InferenceMeta {
  faces: AnalyzedFace[];
}

export type InferenceOp = 'describe' | 'analyze';
export interface OpRequest {
  describe: DescribeRequest;
  analyze: AnalyzeRequest;
}
export interface OpResult {
  describe: DescribeResult;
  analyze: AnalyzeResult;
}
