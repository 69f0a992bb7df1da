import { isDuplicateKey, type Connection } from '@guardian/mongo';
import { ack, type GuardianEvent } from '@guardian/events';
import { Schema, type Model } from 'mongoose';

interface DirectoryEntry {
  _id: string;
  username: string;
  email: string;
  updatedAt: Date;
}

const schema = new Schema<DirectoryEntry>(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true, index: true },
    email: { type: String, required: true, index: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'directory', versionKey: false },
);

/**
 * The BFF's read model of usernames -> user ids, kept from identity's user events (registered,
 * updated, deleted). Face login by username needs it: biometrics verifies against a user id, and
 * identity has no unauthenticated lookup.
 */
export class Directory {
  private readonly model: Model<DirectoryEntry>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.DirectoryEntry as Model<DirectoryEntry> | undefined) ??
      (connection.model('DirectoryEntry', schema) as unknown as Model<DirectoryEntry>);
  }

  /** The user id of a username or e-mail address (case-insensitive), if known. */
  async resolve(identifier: string): Promise<string | undefined> {
    const key = identifier.trim().toLowerCase();
    const entry = await this.model.findOne(key.includes('@') ? { email: key } : { username: key }).lean();
    return entry?._id;
  }

  /** Event handler for `identity.user.>`; idempotent and order-tolerant (newer `time` wins). */
  readonly handle = async (event: GuardianEvent) => {
    if (event.type === 'identity.user.registered' || event.type === 'identity.user.updated') {
      const data = event.data as { userId: string; username: string; email: string };
      // Upsert only over an older entry; a newer one makes the upsert collide on _id (ignored).
      await this.model
        .updateOne(
          { _id: data.userId, updatedAt: { $lte: event.time } },
          {
            $set: {
              username: data.username.toLowerCase(),
              email: data.email.toLowerCase(),
              updatedAt: event.time,
            },
          },
          { upsert: true },
        )
        .catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        });
    } else if (event.type === 'identity.user.deleted') {
      await this.model.deleteOne({ _id: (event.data as { userId: string }).userId });
    }
    return ack();
  };
}
