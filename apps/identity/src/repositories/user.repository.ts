import { DocumentLocks, isDuplicateKey } from '@guardian/mongo';
import { announceNothing, pendingEventsField, type Announce, type PendingEvent } from '@guardian/events';
import { conflict } from '@guardian/domain';
import { ReplicatedCache } from '@guardian/events';
import { Schema, type Connection, type Model, type UpdateQuery } from 'mongoose';
import type { Role } from '@guardian/auth';
import type { AccountStatus } from '../services/verification-status.js';
import type { Sequences } from './sequence.repository.js';

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
  /** Sequential, given once at creation (or by the start-up backfill), never reused: the integer id. */
  number?: number;
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
    // Sparse: accounts from before numbering have none until the start-up backfill numbers them.
    number: { type: Number, unique: true, sparse: true },
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

/** A user id written as an account number (clients of the older systems address accounts by integer). */
const NUMBER_ID = /^[0-9]{1,15}$/;

/** How many times an insert takes another number after a collision before giving up. */
const NUMBER_ATTEMPTS = 8;

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
    private readonly numbers?: Sequences,
  ) {}

  /** Stores a new account under the next account number; returns it with its number. */
  async insert(user: Omit<UserRecord, 'pendingEvents'>, events: PendingEvent[]): Promise<UserRecord> {
    for (let attempt = 1; ; attempt++) {
      const number = await this.nextNumber();
      try {
        await this.model.create({ ...user, ...(number ? { number } : {}), pendingEvents: events });
      } catch (error) {
        if (attempt < NUMBER_ATTEMPTS && (await this.collidedOnNumber(error, user))) continue;
        translateDuplicate(error);
      }
      if (events.length > 0)
        this.announce({ collection: this.model.collection.collectionName, ids: [user._id], events });
      return { ...user, ...(number ? { number } : {}) } as UserRecord;
    }
  }

  private nextNumber(): Promise<number | undefined> {
    return this.numbers ? this.numbers.next('users') : Promise.resolve(undefined);
  }

  /**
   * Whether a duplicate key was the account number (another replica was handed the same one):
   * MongoDB names the index; FerretDB does not, so then it was the number unless the username or
   * e-mail is taken now.
   */
  private async collidedOnNumber(error: unknown, user: Pick<UserRecord, 'usernameLower' | 'email'>) {
    if (!isDuplicateKey(error) || !this.numbers) return false;
    if (error.keyPattern) return 'number' in error.keyPattern;
    return (
      !(await this.exists({ usernameLower: user.usernameLower })) &&
      !(await this.exists({ email: user.email }))
    );
  }

  /**
   * The id of the account a user id names: an id as it is, or an account number (decimal digits)
   * as the id of the account that has it (deleted ones included: the caller's lookup by id then
   * finds nothing). A number no account has stays as it is, to be refused like an unknown id.
   */
  async idOf(userId: string): Promise<string> {
    if (!NUMBER_ID.test(userId)) return userId;
    const found = await this.model
      .findOne({ number: Number(userId) })
      .select({ _id: 1 })
      .lean<Pick<UserRecord, '_id'>>()
      .exec();
    return found?._id ?? userId;
  }

  /**
   * Numbers the accounts that have no number yet (created before numbering), oldest first, after
   * moving the counter past every number in use. Safe on several replicas at once: an account
   * numbered by another replica meanwhile keeps that number; a number handed out twice loses to the
   * unique index and the account takes the next. Returns how many accounts it numbered.
   */
  async numberUnnumbered(): Promise<number> {
    if (!this.numbers) return 0;
    const highest = await this.model
      .findOne({ number: { $exists: true } })
      .sort({ number: -1 })
      .select({ number: 1 })
      .lean<Pick<UserRecord, 'number'>>()
      .exec();
    if (highest?.number) await this.numbers.atLeast('users', highest.number);
    const unnumbered = await this.model
      .find({ number: { $exists: false } })
      .sort({ createdAt: 1, _id: 1 })
      .select({ _id: 1 })
      .lean<Pick<UserRecord, '_id'>[]>()
      .exec();
    let numbered = 0;
    for (const { _id } of unnumbered) if (await this.giveNumber(_id)) numbered++;
    return numbered;
  }

  private async giveNumber(id: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const number = await this.numbers!.next('users');
      try {
        const { matchedCount } = await this.locks.run(`users:${id}`, () =>
          this.model.updateOne({ _id: id, number: { $exists: false } }, { $set: { number } }).exec(),
        );
        this.byId.dropEverywhere(id);
        return matchedCount > 0;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= NUMBER_ATTEMPTS) throw error;
      }
    }
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
