import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import mongoose, { Schema, type Connection, type Model, type UpdateQuery } from 'mongoose';
import type { DocumentStatus, DocumentType } from '../services/verification-status.js';
import { DocumentLocks } from '@guardian/mongo';

export interface DocumentRecord {
  _id: string;
  userId: string;
  type: DocumentType;
  status: DocumentStatus;
  contentType: string;
  sizeBytes: number;
  fileName: string;
  fileId: string;
  submittedAt: Date;
  reviewedAt?: Date | null;
  reviewedBy?: string | null;
  reviewReason?: string | null;
  pendingEvents?: PendingEvent[];
}

const documentSchema = new Schema<DocumentRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true, index: true },
    type: { type: String, required: true },
    status: { type: String, required: true, index: true },
    contentType: { type: String, required: true },
    sizeBytes: { type: Number, required: true },
    fileName: { type: String, default: '' },
    fileId: { type: String, required: true },
    submittedAt: { type: Date, required: true },
    reviewedAt: { type: Date, default: null },
    reviewedBy: { type: String, default: null },
    reviewReason: { type: String, default: null },
    pendingEvents: pendingEventsField,
  },
  { collection: 'documents', versionKey: false },
);

export type DocumentModel = Model<DocumentRecord>;

export const documentModel = (connection: Connection): DocumentModel =>
  (connection.models.VerificationDocument as DocumentModel | undefined) ??
  connection.model<DocumentRecord>('VerificationDocument', documentSchema);

/** Verification documents: metadata in `documents`, bytes in the GridFS bucket `document_files`. */
export class DocumentRepository {
  private bucketInstance: mongoose.mongo.GridFSBucket | undefined;

  constructor(
    readonly model: DocumentModel,
    private readonly connection: Connection,
    private readonly locks: DocumentLocks = new DocumentLocks(),
    private readonly announce: Announce = announceNothing,
  ) {}

  private get bucket(): mongoose.mongo.GridFSBucket {
    if (!this.connection.db) throw new Error('MongoDB connection is not open');
    this.bucketInstance ??= new mongoose.mongo.GridFSBucket(this.connection.db, {
      bucketName: 'document_files',
    });
    return this.bucketInstance;
  }

  /** Stores the bytes; returns the GridFS file id. */
  async storeFile(id: string, content: Buffer, contentType: string): Promise<string> {
    const fileId = new mongoose.Types.ObjectId();
    await new Promise<void>((resolve, reject) => {
      const upload = this.bucket.openUploadStreamWithId(fileId, id, { metadata: { contentType } });
      upload.once('error', reject);
      upload.once('finish', () => resolve());
      upload.end(content);
    });
    return fileId.toHexString();
  }

  async readFile(fileId: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.bucket.openDownloadStream(new mongoose.Types.ObjectId(fileId)))
      chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async deleteFile(fileId: string): Promise<void> {
    await this.bucket.delete(new mongoose.Types.ObjectId(fileId)).catch(() => undefined);
  }

  async insert(document: Omit<DocumentRecord, 'pendingEvents'>, events: PendingEvent[]): Promise<void> {
    await this.model.create({ ...document, pendingEvents: events });
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [document._id], events });
  }

  findById(id: string): Promise<DocumentRecord | null> {
    return this.model.findById(id).lean<DocumentRecord>().exec();
  }

  listForUser(userId: string, status?: DocumentStatus): Promise<DocumentRecord[]> {
    return this.model
      .find({ userId, ...(status ? { status } : {}) })
      .sort({ submittedAt: -1 })
      .lean<DocumentRecord[]>()
      .exec();
  }

  /** Review only a pending document (atomic guard); null when it was reviewed meanwhile. */
  async review(
    id: string,
    change: Pick<DocumentRecord, 'status' | 'reviewedAt' | 'reviewedBy' | 'reviewReason'>,
    events: PendingEvent[],
  ): Promise<DocumentRecord | null> {
    const result = await this.locks.run(`documents:${id}`, () =>
      this.model
        .updateOne({ _id: id, status: 'pending' }, {
          $set: change,
          $push: { pendingEvents: { $each: events } },
        } as UpdateQuery<DocumentRecord>)
        .exec(),
    );
    if (result.modifiedCount !== 1) return null;
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [id], events });
    return this.findById(id);
  }

  /** Users with at least one pending document. */
  async usersWithPending(): Promise<string[]> {
    return (await this.model.distinct('userId', { status: 'pending' }).exec()) as string[];
  }

  async deleteForUser(userId: string): Promise<void> {
    const docs = await this.model.find({ userId }, { fileId: 1 }).lean<{ fileId: string }[]>().exec();
    for (const doc of docs) await this.deleteFile(doc.fileId);
    // Documents whose events the relay has not published yet stay until it has (nothing lost).
    await this.model.deleteMany({ userId, 'pendingEvents.0': { $exists: false } }).exec();
  }
}
