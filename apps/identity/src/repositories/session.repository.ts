import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import { Schema, type Connection, type Model } from 'mongoose';
import { DocumentLocks, InsertBatcher } from '@guardian/mongo';

export type LoginMethod = 'password' | 'face';

export interface SessionRecord {
  _id: string;
  userId: string;
  method: LoginMethod;
  ip: string;
  userAgent: string;
  refreshHash: string;
  usedRefreshHashes: string[];
  createdAt: Date;
  lastUsedAt: Date;
  revokedAt?: Date | null;
  revokedReason?: string | null;
  pendingEvents?: PendingEvent[];
}

const sessionSchema = new Schema<SessionRecord>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true, index: true },
    method: { type: String, required: true },
    ip: { type: String, default: '' },
    userAgent: { type: String, default: '' },
    refreshHash: { type: String, required: true },
    usedRefreshHashes: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
    pendingEvents: pendingEventsField,
  },
  { collection: 'sessions', versionKey: false },
);

export type SessionModel = Model<SessionRecord>;

export const sessionModel = (connection: Connection): SessionModel =>
  (connection.models.Session as SessionModel | undefined) ??
  connection.model<SessionRecord>('Session', sessionSchema);

/** Sessions: one document per refresh-token family. */
export class SessionRepository {
  private readonly inserts: InsertBatcher<SessionRecord>;

  constructor(
    readonly model: SessionModel,
    private readonly locks: DocumentLocks = new DocumentLocks(),
    private readonly announce: Announce = announceNothing,
  ) {
    this.inserts = new InsertBatcher<SessionRecord>(model.collection);
  }

  /** Group-committed with concurrent sign-ins (see InsertBatcher). */
  async insert(session: Omit<SessionRecord, 'pendingEvents'>, events: PendingEvent[]): Promise<void> {
    await this.inserts.insertNew({ ...session, pendingEvents: events });
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [session._id], events });
  }

  findById(id: string): Promise<SessionRecord | null> {
    return this.model.findById(id).lean<SessionRecord>().exec();
  }

  /** Whether the session exists and is not revoked (the access-token check). */
  async isLive(id: string, userId: string): Promise<boolean> {
    return (await this.model.exists({ _id: id, userId, revokedAt: null })) !== null;
  }

  /** Atomic rotation: only succeeds when `expectedHash` is still the current one. */
  async rotate(
    id: string,
    expectedHash: string,
    nextHash: string,
    usedHashes: string[],
    now: Date,
    client: { ip: string; userAgent: string },
  ): Promise<boolean> {
    const result = await this.locks.run(`sessions:${id}`, () =>
      this.model
        .updateOne(
          { _id: id, refreshHash: expectedHash, revokedAt: null },
          {
            $set: {
              refreshHash: nextHash,
              usedRefreshHashes: usedHashes,
              lastUsedAt: now,
              ...(client.ip ? { ip: client.ip } : {}),
              ...(client.userAgent ? { userAgent: client.userAgent } : {}),
            },
          },
        )
        .exec(),
    );
    return result.modifiedCount === 1;
  }

  listLive(userId: string): Promise<SessionRecord[]> {
    return this.model
      .find({ userId, revokedAt: null })
      .sort({ lastUsedAt: -1 })
      .lean<SessionRecord[]>()
      .exec();
  }

  /**
   * Revokes the given live sessions. `event` (identity.session.revoked naming all of them) is queued
   * on every revoked session in the same update: the relay publishes it from whichever comes first
   * and JetStream drops the others as duplicates (same event id), so the event is never lost.
   */
  async revoke(ids: string[], reason: string, now: Date, event: PendingEvent): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.locks.runMany(
      ids.map((id) => `sessions:${id}`),
      () =>
        this.model
          .updateMany(
            { _id: { $in: ids }, revokedAt: null },
            { $set: { revokedAt: now, revokedReason: reason }, $push: { pendingEvents: event } },
          )
          .exec(),
    );
    if (result.modifiedCount > 0) this.announce({ collection: this.model.collection.collectionName, ids });
    return result.modifiedCount;
  }
}
