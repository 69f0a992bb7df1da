import { DocumentLocks, isDuplicateKey } from '@guardian/mongo';
import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import { conflict } from '@guardian/domain';
import { ReplicatedCache } from '@guardian/events';
import { Schema, type Connection, type Model, type UpdateQuery } from 'mongoose';
import type { Role } from '@guardian/auth';
import type { AccountStatus } from '../services/verification-status.js';

export interface ProfileFields {
  phone: string;
  address: string;
  birthDate: string;
  bio: string;
}

export interface BiometricState {
  enrolled: boolean;
  enrolledAt?: Date | null;
  modelId?: string;
  sampleCount?: number;
  /** Time of the last biometric event applied, so an older event never overrides a newer one. */
  eventTime?: Date | null;
}

export interface UserRecord {
  _id: string;
  username: string;
  usernameLower: string;
  email: string;
  fullName: string;
  locale: string;
  role: Role;
  status: AccountStatus | 'deleted';
  registrationKind: 'password' | 'face_only';
  passwordHash?: string | null;
  /** The password was generated and shown once (first master): the next sign-in must replace it. */
  passwordChangeRequired?: boolean;
  profile: ProfileFields;
  biometric: BiometricState;
  hasApprovedIdentityDocument: boolean;
  lockedUntil?: Date | null;
  unlockedAt?: Date | null;
  deletedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
  pendingEvents?: PendingEvent[];
}

const userSchema = new Schema<UserRecord>(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true },
    usernameLower: { type: String, required: true, unique: true },
    email: { type: String, required: true, unique: true },
    fullName: { type: String, required: true },
    locale: { type: String, required: true },
    role: { type: String, required: true, index: true },
    status: { type: String, required: true, index: true },
    registrationKind: { type: String, required: true },
    passwordHash: { type: String, select: false },
    passwordChangeRequired: { type: Boolean, default: false },
    profile: {
      phone: { type: String, default: '' },
      address: { type: String, default: '' },
      birthDate: { type: String, default: '' },
      bio: { type: String, default: '' },
    },
    biometric: {
      enrolled: { type: Boolean, default: false },
      enrolledAt: { type: Date, default: null },
      modelId: { type: String, default: '' },
      sampleCount: { type: Number, default: 0 },
      eventTime: { type: Date, default: null },
    },
    hasApprovedIdentityDocument: { type: Boolean, default: false },
    lockedUntil: { type: Date, default: null },
    unlockedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    pendingEvents: pendingEventsField,
  },
  { collection: 'users', versionKey: false, minimize: false },
);
userSchema.index({ createdAt: 1, _id: 1 });

export type UserModel = Model<UserRecord>;

export const userModel = (connection: Connection): UserModel =>
  (connection.models.User as UserModel | undefined) ?? connection.model<UserRecord>('User', userSchema);

/** USERNAME_TAKEN / EMAIL_TAKEN from a unique-index violation (mongod and FerretDB alike). */
export function translateDuplicate(error: unknown): never {
  if (isDuplicateKey(error)) {
    const text = `${JSON.stringify(error.keyPattern ?? {})} ${error.message}`;
    if (text.includes('email')) throw conflict('EMAIL_TAKEN', 'E-mail address is already registered.');
    throw conflict('USERNAME_TAKEN', 'Username is already taken.');
  }
  throw error;
}

export interface UserListFilter {
  query?: string;
  role?: string;
  status?: string;
  verified?: boolean;
  pendingUserIds?: string[];
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Users: one document per account; `status: deleted` tombstones keep only the id (PII scrubbed).
 * Reads by id go through `cache` (none by default): a write drops the entry here and on every
 * other replica; a read that raced a write is not cached.
 */
export class UserRepository {
  constructor(
    readonly model: UserModel,
    private readonly locks: DocumentLocks = new DocumentLocks(),
    private readonly byId = new ReplicatedCache<UserRecord>(),
    private readonly announce: Announce = announceNothing,
  ) {}

  async insert(user: Omit<UserRecord, 'pendingEvents'>, events: PendingEvent[]): Promise<UserRecord> {
    try {
      await this.model.create({ ...user, pendingEvents: events });
    } catch (error) {
      translateDuplicate(error);
    }
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [user._id], events });
    return user as UserRecord;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const user = await this.findByIdWithHash(id);
    if (!user) return null;
    const { passwordHash: _hash, ...rest } = user;
    return rest as UserRecord;
  }

  async findByIdWithHash(id: string): Promise<UserRecord | null> {
    const user = await this.byId.getOrLoad(
      id,
      async () =>
        (await this.model
          .findOne({ _id: id, status: { $ne: 'deleted' } })
          .select('+passwordHash')
          .lean<UserRecord>()
          .exec()) ?? undefined,
    );
    return user ? { ...user } : null;
  }

  /** By lower-cased username or e-mail (identifier containing `@` is an e-mail). */
  findByIdentifierWithHash(identifier: string): Promise<UserRecord | null> {
    const lower = identifier.trim().toLowerCase();
    const filter = lower.includes('@') ? { email: lower } : { usernameLower: lower };
    return this.model
      .findOne({ ...filter, status: { $ne: 'deleted' } })
      .select('+passwordHash')
      .lean<UserRecord>()
      .exec();
  }

  async exists(filter: { usernameLower?: string; email?: string }): Promise<boolean> {
    return (await this.model.exists(filter)) !== null;
  }

  /**
   * Applies `update` (and queues `events`) to the live user matching `guard`; returns the new state,
   * or null when no live user matched. State and events change in one document update.
   */
  async update(
    id: string,
    update: UpdateQuery<UserRecord>,
    events: PendingEvent[] = [],
    guard: Record<string, unknown> = {},
  ): Promise<UserRecord | null> {
    const query: UpdateQuery<UserRecord> = { ...update };
    if (events.length > 0) query.$push = { ...(update.$push ?? {}), pendingEvents: { $each: events } };
    // updateOne + read (not findOneAndUpdate): FerretDB 1.x has no projection in findAndModify, and
    // the schema hides passwordHash and pendingEvents by default.
    let matched: number;
    try {
      const result = await this.locks.run(`users:${id}`, () =>
        this.model.updateOne({ _id: id, status: { $ne: 'deleted' }, ...guard }, query).exec(),
      );
      matched = result.matchedCount;
    } catch (error) {
      translateDuplicate(error);
    }
    this.byId.dropEverywhere(id);
    if (matched === 0) return null;
    if (events.length > 0)
      this.announce({ collection: this.model.collection.collectionName, ids: [id], events });
    return this.model.findById(id).lean<UserRecord>().exec();
  }

  async count(filter: Record<string, unknown>): Promise<number> {
    return this.model.countDocuments(filter).exec();
  }

  static listQuery(filter: UserListFilter): Record<string, unknown> {
    const query: Record<string, unknown> = { status: filter.status ? filter.status : { $ne: 'deleted' } };
    if (filter.role) query.role = filter.role;
    if (filter.verified === true)
      Object.assign(query, { hasApprovedIdentityDocument: true, 'biometric.enrolled': true });
    const and: Record<string, unknown>[] = [];
    if (filter.verified === false)
      and.push({ $or: [{ hasApprovedIdentityDocument: false }, { 'biometric.enrolled': false }] });
    if (filter.pendingUserIds) query._id = { $in: filter.pendingUserIds };
    if (filter.query?.trim()) {
      const pattern = new RegExp(escapeRegex(filter.query.trim()), 'i');
      and.push({ $or: [{ fullName: pattern }, { usernameLower: pattern }, { email: pattern }] });
    }
    if (and.length > 0) query.$and = and;
    return query;
  }

  async list(
    filter: UserListFilter,
    offset: number,
    limit: number,
  ): Promise<{ users: UserRecord[]; total: number }> {
    const query = UserRepository.listQuery(filter);
    const [users, total] = await Promise.all([
      this.model
        .find(query)
        .sort({ createdAt: 1, _id: 1 })
        .skip(offset)
        .limit(limit)
        .lean<UserRecord[]>()
        .exec(),
      this.model.countDocuments(query).exec(),
    ]);
    return { users, total };
  }

  async anyMaster(): Promise<boolean> {
    return (await this.model.exists({ role: 'master', status: { $ne: 'deleted' } })) !== null;
  }
}
