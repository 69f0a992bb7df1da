/**
 * Keeps the in-memory 1:N index equal to the stored templates.
 *
 * - Start-up: every template of the current model is decrypted and loaded (templates of another model
 *   are counted and logged: those users must re-enroll, they are never compared).
 * - The replica that writes a template updates its own index at once.
 * - Other replicas learn of changes from `biometric.enrolled|removed` (events carry no template):
 *   `syncUser` re-reads that user's record and upserts or removes the row. Re-reading makes handling
 *   idempotent and order-independent, so replays and duplicates are harmless.
 */
import type { EnrolledRecord, TemplateRepository } from '../repositories/template.repository.js';
import type { TemplateKeys } from '../repositories/template-key.repository.js';
import type { FaceIndex } from './face-index.js';
import {
  decryptTemplate,
  encryptTemplate,
  packEncryptedTemplate,
  unpackEncryptedTemplate,
} from './template-crypto.js';

/** Encrypts and decrypts templates with the configured keys, bound to user and model. */
export class TemplateVault {
  constructor(private readonly keys: TemplateKeys) {}

  seal(userId: string, modelId: string, vector: Float32Array): { template: Buffer; keyId: string } {
    const enc = encryptTemplate(vector, { userId, modelId }, this.keys.current);
    return { template: packEncryptedTemplate(enc), keyId: enc.keyId };
  }

  open(record: Pick<EnrolledRecord, '_id' | 'modelId' | 'template'>): Float32Array {
    return decryptTemplate(
      unpackEncryptedTemplate(record.template),
      { userId: record._id, modelId: record.modelId },
      this.keys.all,
    );
  }
}

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class FaceIndexSync {
  constructor(
    private readonly index: FaceIndex,
    private readonly templates: TemplateRepository,
    private readonly vault: TemplateVault,
    private readonly logger: SyncLogger,
  ) {}

  /** Loads every current-model template; resolves with the count. */
  async loadAll(): Promise<number> {
    const started = performance.now();
    let loaded = 0;
    let failed = 0;
    for await (const record of this.templates.enrolledWithModel(this.index.modelId)) {
      try {
        const vector = this.vault.open(record);
        this.index.upsert(record._id, vector, record.modelId);
        vector.fill(0);
        loaded++;
      } catch (error) {
        failed++;
        this.logger.warn(
          { userId: record._id, err: (error as Error).message },
          'template could not be loaded into the index',
        );
      }
    }
    const otherModels = await this.templates.countOtherModels(this.index.modelId);
    this.logger.info(
      {
        loaded,
        failed,
        otherModels,
        modelId: this.index.modelId,
        ms: Math.round(performance.now() - started),
        mode: this.index.mode,
      },
      'face index loaded',
    );
    if (otherModels > 0)
      this.logger.warn(
        { otherModels },
        'templates of another model are not searchable: those users must re-enroll',
      );
    return loaded;
  }

  /** Makes the user's row match the stored record (upsert, or remove when erased or of another model). */
  async syncUser(userId: string): Promise<'upserted' | 'removed' | 'absent'> {
    const record = await this.templates.findEnrolled(userId);
    if (!record || record.modelId !== this.index.modelId)
      return this.index.remove(userId) ? 'removed' : 'absent';
    const vector = this.vault.open(record);
    this.index.upsert(userId, vector, record.modelId);
    vector.fill(0);
    return 'upserted';
  }
}
