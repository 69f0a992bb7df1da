import { randomUUID } from 'node:crypto';
import { DomainError, forbidden, invalid, notFound, sniffMediaType } from '@guardian/domain';
import type { DocumentRecord, DocumentRepository } from '../repositories/document.repository.js';
import type { UserRecord, UserRepository } from '../repositories/user.repository.js';
import type { EventFactory } from './events.js';
import { type AccessClaims, assertCan } from '@guardian/auth';
import type { Page } from './user.service.js';
import {
  DOCUMENT_TYPES,
  type DocumentStatus,
  type DocumentType,
  IDENTITY_DOCUMENT_TYPES,
  type VerificationOutcome,
  verificationOutcome,
} from './verification-status.js';

export const DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;

/** The media type from the first bytes (never from the file name): JPEG, PNG or PDF. */
export function sniffDocumentType(
  content: Uint8Array,
): 'image/jpeg' | 'image/png' | 'application/pdf' | undefined {
  const type = sniffMediaType(content);
  return type === 'image/jpeg' || type === 'image/png' || type === 'application/pdf' ? type : undefined;
}

export interface VerificationStatusView extends VerificationOutcome {
  user: UserRecord;
  documents: DocumentRecord[];
}

/** Identity documents, their review, the verification status, and the biometric summary. */
export class VerificationService {
  constructor(
    private readonly users: UserRepository,
    private readonly documents: DocumentRepository,
    private readonly events: EventFactory,
    private readonly maxBytes: number = DEFAULT_DOCUMENT_MAX_BYTES,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private async actor(claims: AccessClaims) {
    const user = await this.users.findById(claims.userId);
    if (!user) throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'This account no longer exists.');
    return { id: user._id, role: user.role };
  }

  async submit(
    claims: AccessClaims,
    input: { type: string; content: Buffer; fileName: string },
    requestId?: string,
  ): Promise<DocumentRecord> {
    if (!(DOCUMENT_TYPES as readonly string[]).includes(input.type))
      throw invalid('INVALID_DOCUMENT_TYPE', `Document type must be one of ${DOCUMENT_TYPES.join(', ')}.`);
    if (input.content.length === 0) throw invalid('EMPTY_DOCUMENT', 'The document is empty.');
    if (input.content.length > this.maxBytes) {
      throw new DomainError(
        'too_large',
        'DOCUMENT_TOO_LARGE',
        `Documents may have at most ${this.maxBytes} bytes.`,
        { metadata: { maxBytes: String(this.maxBytes) } },
      );
    }
    const contentType = sniffDocumentType(input.content);
    if (!contentType)
      throw new DomainError('unsupported', 'UNSUPPORTED_FORMAT', 'Documents must be JPEG, PNG or PDF.');
    const user = await this.users.findById(claims.userId);
    if (!user) throw new DomainError('unauthenticated', 'SESSION_REVOKED', 'This account no longer exists.');
    const id = randomUUID();
    const fileId = await this.documents.storeFile(id, input.content, contentType);
    const document: DocumentRecord = {
      _id: id,
      userId: user._id,
      type: input.type as DocumentType,
      status: 'pending',
      contentType,
      sizeBytes: input.content.length,
      fileName: input.fileName.replace(/[^\w.\- ]/g, '_').slice(0, 200),
      fileId,
      submittedAt: this.clock(),
      reviewedAt: null,
      reviewedBy: null,
      reviewReason: null,
    };
    const event = this.events.make(
      'verification.document.submitted',
      { documentId: id, userId: user._id, type: document.type },
      user._id,
      requestId,
    );
    try {
      await this.documents.insert(document, [event]);
    } catch (error) {
      await this.documents.deleteFile(fileId);
      throw error;
    }
    return document;
  }

  async review(
    claims: AccessClaims,
    input: { documentId: string; decision: string; reason: string },
    requestId?: string,
  ): Promise<DocumentRecord> {
    const actor = await this.actor(claims);
    assertCan(actor, 'verification.review');
    if (input.decision !== 'approve' && input.decision !== 'reject')
      throw invalid('INVALID_DECISION', 'Decision must be approve or reject.');
    const reason = input.reason.trim().slice(0, 500);
    if (input.decision === 'reject' && !reason)
      throw invalid('REASON_REQUIRED', 'A rejection needs a reason.');
    const document = input.documentId ? await this.documents.findById(input.documentId) : null;
    if (!document) throw notFound('DOCUMENT_NOT_FOUND', 'No such document.');
    // Four eyes: an admin's own identity documents are reviewed by someone else.
    if (document.userId === actor.id)
      throw forbidden('OWN_DOCUMENT', 'Your own documents are reviewed by another administrator.');
    if (document.status !== 'pending')
      throw new DomainError(
        'conflict',
        'DOCUMENT_ALREADY_REVIEWED',
        'This document has already been reviewed.',
      );
    const status: DocumentStatus = input.decision === 'approve' ? 'approved' : 'rejected';
    const event = this.events.make(
      'verification.document.reviewed',
      {
        documentId: document._id,
        userId: document.userId,
        type: document.type,
        decision: status,
        reason,
        reviewedBy: actor.id,
      },
      document.userId,
      requestId,
    );
    const reviewed = await this.documents.review(
      document._id,
      { status, reviewedAt: this.clock(), reviewedBy: actor.id, reviewReason: reason },
      [event],
    );
    if (!reviewed)
      throw new DomainError(
        'conflict',
        'DOCUMENT_ALREADY_REVIEWED',
        'This document has already been reviewed.',
      );
    if (status === 'approved' && IDENTITY_DOCUMENT_TYPES.includes(document.type)) {
      await this.users.update(document.userId, { $set: { hasApprovedIdentityDocument: true } });
    }
    return reviewed;
  }

  /** The user whose documents are read: the caller (empty id), or another by id or account number. */
  private async readable(claims: AccessClaims, userId: string): Promise<UserRecord> {
    const id = (await this.users.idOf(userId)) || claims.userId;
    if (id !== claims.userId) assertCan(await this.actor(claims), 'verification.read', { id });
    const user = await this.users.findById(id);
    if (!user) throw notFound('USER_NOT_FOUND', 'No such user.');
    return user;
  }

  async list(claims: AccessClaims, userId: string, status: string): Promise<DocumentRecord[]> {
    if (status && !['pending', 'approved', 'rejected'].includes(status))
      throw invalid('INVALID_STATUS', 'Status must be pending, approved or rejected.');
    const user = await this.readable(claims, userId);
    return this.documents.listForUser(user._id, (status || undefined) as DocumentStatus | undefined);
  }

  async get(
    claims: AccessClaims,
    documentId: string,
    includeContent: boolean,
  ): Promise<{ document: DocumentRecord; content?: Buffer }> {
    const document = documentId ? await this.documents.findById(documentId) : null;
    if (!document) throw notFound('DOCUMENT_NOT_FOUND', 'No such document.');
    if (document.userId !== claims.userId) {
      const decision = await this.actor(claims);
      try {
        assertCan(decision, 'verification.read', { id: document.userId });
      } catch {
        throw notFound('DOCUMENT_NOT_FOUND', 'No such document.'); // do not reveal other users' documents exist
      }
    }
    return includeContent
      ? { document, content: await this.documents.readFile(document.fileId) }
      : { document };
  }

  async status(claims: AccessClaims, userId: string): Promise<VerificationStatusView> {
    const user = await this.readable(claims, userId);
    const documents = await this.documents.listForUser(user._id);
    const outcome = verificationOutcome(
      {
        role: user.role,
        status: user.status === 'deleted' ? 'disabled' : user.status,
        lockedUntil: user.lockedUntil,
        biometricEnrolled: user.biometric.enrolled,
        documents,
      },
      this.clock(),
    );
    return { ...outcome, user, documents };
  }

  async listVerified(claims: AccessClaims, page: Page): Promise<{ users: UserRecord[]; total: number }> {
    assertCan(await this.actor(claims), 'verification.list');
    return this.users.list({ verified: true }, page.offset, page.limit);
  }

  async listPending(claims: AccessClaims, page: Page): Promise<{ users: UserRecord[]; total: number }> {
    assertCan(await this.actor(claims), 'verification.list');
    const ids = await this.documents.usersWithPending();
    if (ids.length === 0) return { users: [], total: 0 };
    return this.users.list({ pendingUserIds: ids }, page.offset, page.limit);
  }
}
