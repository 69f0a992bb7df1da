/**
 * Face operations that need no throttling: enrollment (create/replace, read, delete), 1:N identify,
 * compare, detect and expressions. Decisions live here; the pipeline, repositories and index are
 * injected. Verify (the face-login channel) is in face-verify.service.ts.
 */
import type { AccessClaims, Role } from '@guardian/auth';
import { DomainError, invalid } from '@guardian/domain';
import { pendingEvent } from '@guardian/events';
import type { Box, AnalyzedFace, Expression, FacePick } from '../repositories/inference/index.js';
import { EXPRESSIONS } from '../repositories/inference/index.js';
import type { TemplateRecord, TemplateRepository } from '../repositories/template.repository.js';
import type { AccountDirectory } from '../repositories/account-directory.repository.js';
import {
  requireAdmin,
  requireFreshSignIn,
  requireMayEnroll,
  requireSelfOrAdmin,
  requireUserId,
} from './access.js';
import type { FaceIndex, IndexHit } from './face-index.js';
import type { TemplateVault } from './face-index-sync.js';
import type { FacePipeline, ImageInput, RunContext } from './face-pipeline.js';
import { compare, identifyThreshold, type CompareResult } from './matching.js';
import { buildTemplate, MAX_SAMPLES, MIN_SAMPLES } from './template.js';
import { livenessRefusal, type LivenessInput, type LivenessService } from './liveness/liveness.service.js';

export const EVENT_SOURCE = 'guardian/biometrics';

export interface CallInfo extends RunContext {
  requestId?: string;
  /** How to take the face from a photo with several (request option; default `single`). */
  pick?: FacePick;
  /** The caller's access token, forwarded to identity when the target account's state decides. */
  accessToken?: string;
}

export interface Enrollment {
  userId: string;
  modelId: string;
  sampleCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface EnrollResult {
  created: boolean;
  enrollment: Enrollment;
  faces: Box[];
  possibleDuplicateOf: IndexHit[];
}

export interface IdentifyResult {
  recognised: boolean;
  candidates: IndexHit[];
  threshold: number;
  face: Box;
}

export interface CompareFacesResult extends CompareResult {
  face1: Box;
  face2: Box;
}

export interface DetectedFaceView extends AnalyzedFace {
  dominantExpression: Expression;
}

export interface FaceServiceDeps {
  pipeline: FacePipeline;
  templates: TemplateRepository;
  index: FaceIndex;
  vault: TemplateVault;
  /** Asks the relay to publish pending events now. */
  modelId: string;
  /** Target false-positive identification rate of 1:N searches (default: calibration's). */
  identifyFpir?: number;
  /** identity's current view of accounts (who may enroll whose face). */
  accounts: AccountDirectory;
  liveness: Pick<LivenessService, 'check'>;
  /** Enrollment needs a passed liveness capture unless `optional`, or the enrolling actor's role is waived. */
  livenessPolicy: { enroll: 'required' | 'optional'; waivedRoles: readonly Role[] };
}

/** An enrollment's faces: photos, or a liveness capture of the end user's client. */
export interface EnrollSource {
  images: readonly ImageInput[];
  liveness?: LivenessInput;
  client: { ip: string; userAgent: string };
}

const toEnrollment = (record: TemplateRecord): Enrollment => ({
  userId: record._id,
  modelId: record.modelId,
  sampleCount: record.sampleCount,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

export function dominantExpression(expressions: Record<Expression, number>): Expression {
  return EXPRESSIONS.reduce((best, e) => (expressions[e] > expressions[best] ? e : best), EXPRESSIONS[0]);
}

export class FaceService {
  constructor(private readonly deps: FaceServiceDeps) {}

  /** Creates or replaces the user's template. Emits biometric.enrolled (with possible duplicates). */
  async enroll(
    actor: AccessClaims,
    userId: string,
    source: EnrollSource,
    call: CallInfo,
  ): Promise<EnrollResult> {
    const { images, liveness } = source;
    requireUserId(userId);
    requireSelfOrAdmin(actor, userId);
    if (actor.userId !== userId) {
      const target = call.accessToken ? await this.deps.accounts.account(userId, call.accessToken) : null;
      requireMayEnroll(actor, userId, target);
    } else if (await this.deps.templates.findEnrolled(userId)) {
      requireFreshSignIn(actor, Date.now());
    }
    const { pipeline, templates, index, vault, modelId, livenessPolicy } = this.deps;
    if (liveness && images.length > 0)
      throw invalid(
        'IMAGES_WITH_LIVENESS',
        'with a liveness capture the template is made from its frames: send no images',
      );
    if (!liveness && livenessPolicy.enroll === 'required' && !livenessPolicy.waivedRoles.includes(actor.role))
      throw new DomainError(
        'invalid',
        'LIVENESS_REQUIRED',
        'face enrollment needs a liveness capture (StartLiveness)',
      );
    if (!liveness && (images.length < MIN_SAMPLES || images.length > MAX_SAMPLES)) {
      throw invalid(
        'SAMPLE_COUNT',
        `enrollment takes ${MIN_SAMPLES}..${MAX_SAMPLES} images, got ${images.length}`,
        {
          min: String(MIN_SAMPLES),
          max: String(MAX_SAMPLES),
          got: String(images.length),
        },
      );
    }
    let faces;
    if (liveness) {
      const outcome = await this.deps.liveness.check(
        liveness,
        { purpose: 'enroll', client: source.client, userId },
        call,
      );
      if (outcome.decision !== 'pass') throw livenessRefusal(outcome, 'enroll');
      faces = outcome.faces;
    } else {
      faces = await Promise.all(images.map((image, i) => pipeline.singleFace(image, 'enroll', call, i)));
    }
    const template = buildTemplate(
      faces.map((f) => ({
        descriptor: f.descriptor,
        detectionScore: f.score,
        faceSizePx: Math.max(f.box.width, f.box.height),
      })),
      { modelId },
    );
    const duplicates =
      index.size > 0
        ? index.search(template.vector, 5, identifyThreshold(index.size, this.deps.identifyFpir), {
            excludeUserId: userId,
            modelId,
          })
        : [];

    const previous = await templates.find(userId);
    const created = !previous?.template;
    const sealed = vault.seal(userId, modelId, template.vector);
    const largest = faces.reduce((a, b) =>
      b.box.width * b.box.height > a.box.width * a.box.height ? b : a,
    ).box;
    const event = pendingEvent(
      'biometric.enrolled',
      {
        userId,
        modelId,
        sampleCount: template.sampleCount,
        updated: !created,
        possibleDuplicateOf: duplicates.map((d) => d.userId),
      },
      { source: EVENT_SOURCE, subject: userId, ...(call.requestId ? { requestId: call.requestId } : {}) },
    );
    const saved = await templates.save(
      previous,
      {
        userId,
        modelId,
        sampleCount: template.sampleCount,
        ...sealed,
        faceBox: { x: largest.x, y: largest.y, width: largest.width, height: largest.height },
        quality: {
          minDetectionScore: template.quality.minDetectionScore,
          meanDetectionScore: template.quality.meanDetectionScore,
          minFaceSizePx: template.quality.minFaceSizePx,
          maxPairDistance: template.quality.maxPairDistance,
        },
      },
      event,
    );
    index.upsert(userId, template.vector, modelId);
    template.vector.fill(0);
    return {
      created,
      enrollment: toEnrollment(saved),
      faces: faces.map((f) => f.box),
      possibleDuplicateOf: duplicates,
    };
  }

  async getEnrollment(actor: AccessClaims, userId: string): Promise<Enrollment | undefined> {
    requireUserId(userId);
    requireSelfOrAdmin(actor, userId);
    const record = await this.deps.templates.findEnrolled(userId);
    return record ? toEnrollment(record) : undefined;
  }

  /** Erases the user's template (self or admin). Emits biometric.removed. False when none existed. */
  async deleteEnrollment(actor: AccessClaims, userId: string, call: CallInfo): Promise<boolean> {
    requireUserId(userId);
    requireSelfOrAdmin(actor, userId, 'face.delete');
    const reason = actor.userId === userId ? 'user_request' : 'admin';
    return this.erase(userId, reason, call.requestId);
  }

  /** Erasure for any reason (also `identity.user.deleted`); idempotent. */
  async erase(
    userId: string,
    reason: 'user_request' | 'admin' | 'user_deleted',
    requestId?: string,
  ): Promise<boolean> {
    const event = pendingEvent(
      'biometric.removed',
      { userId, reason },
      { source: EVENT_SOURCE, subject: userId, ...(requestId ? { requestId } : {}) },
    );
    const erased = await this.deps.templates.erase(userId, event);
    this.deps.index.remove(userId);
    return erased;
  }

  /** 1:N search (admin): the nearest enrolled users within the identify threshold. */
  async identify(
    actor: AccessClaims,
    image: ImageInput | undefined,
    topK: number,
    call: CallInfo,
  ): Promise<IdentifyResult> {
    requireAdmin(actor);
    const k = topK === 0 ? 5 : topK;
    if (!Number.isInteger(k) || k < 1 || k > 50) throw invalid('BAD_TOP_K', 'top_k must be 1..50');
    const face = await this.deps.pipeline.singleFace(image, 'identify', call);
    const threshold = identifyThreshold(this.deps.index.size, this.deps.identifyFpir);
    const candidates = this.deps.index.search(face.descriptor, k, threshold, {
      modelId: this.deps.modelId,
    });
    return {
      recognised: candidates.length > 0,
      candidates,
      threshold,
      face: face.box,
    };
  }

  /** Are the single faces of two photos the same person? (any signed-in caller) */
  async compare(
    _actor: AccessClaims,
    image1: ImageInput | undefined,
    image2: ImageInput | undefined,
    call: CallInfo,
  ): Promise<CompareFacesResult> {
    const { pipeline, modelId } = this.deps;
    const [a, b] = await Promise.all([
      pipeline.singleFace(image1, 'compare', call, 0),
      pipeline.singleFace(image2, 'compare', call, 1),
    ]);
    const result = compare({ vector: a.descriptor, modelId }, { vector: b.descriptor, modelId });
    return { ...result, face1: a.box, face2: b.box };
  }

  /** Every face in the photo (none is not an error). */
  async detect(_actor: AccessClaims, image: ImageInput | undefined, withAgeGender: boolean, call: CallInfo) {
    const result = await this.deps.pipeline.analyze(image, call, { withAgeGender });
    return {
      ...result,
      faces: result.faces.map((f): DetectedFaceView => ({
        ...f,
        dominantExpression: dominantExpression(f.expressions),
      })),
    };
  }

  /** Expressions of every face in the photo; NO_FACE when there is none. */
  async analyzeExpressions(
    _actor: AccessClaims,
    image: ImageInput | undefined,
    call: CallInfo,
  ): Promise<DetectedFaceView[]> {
    const result = await this.deps.pipeline.analyze(image, call, { required: true });
    return result.faces.map((f) => ({ ...f, dominantExpression: dominantExpression(f.expressions) }));
  }
}
