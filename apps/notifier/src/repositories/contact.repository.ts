import { isDuplicateKey } from '@guardian/mongo';
import { ReplicatedCache } from '@guardian/events';
import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

import { applyUserEvent, type Contact, type UserEvent } from '../services/address-book.js';

interface ContactDoc {
  _id: string;
  email: string;
  name: string;
  locale: string;
  deleted: boolean;
  updatedAt: Date;
}

const schema = new Schema<ContactDoc>(
  {
    _id: String,
    email: { type: String, default: '' },
    name: { type: String, default: '' },
    locale: { type: String, default: '' },
    deleted: { type: Boolean, default: false },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'contacts', versionKey: false },
);

const toContact = (doc: ContactDoc): Contact => ({
  userId: doc._id,
  email: doc.email,
  name: doc.name,
  locale: doc.locale,
  deleted: doc.deleted,
  updatedAt: doc.updatedAt,
});

/**
 * The address book: one document per user, written only from identity's user events. Reads go
 * through `cache`: this replica's writes update it at once and are announced to the other replicas,
 * which drop their copy. Unknown users are not cached, so an address that arrives
 * late is seen on the next try.
 */
export class ContactRepository {
  readonly model: Model<ContactDoc>;

  constructor(
    connection: Connection,
    private readonly cache = new ReplicatedCache<Contact>(),
  ) {
    this.model = connection.model<ContactDoc>('Contact', schema);
  }

  get(userId: string): Promise<Contact | undefined> {
    return this.cache.getOrLoad(userId, async () => {
      const doc = await this.model.findById(userId).lean<ContactDoc>().exec();
      return doc ? toContact(doc) : undefined;
    });
  }

  private stored(contact: Contact): Contact {
    this.cache.written(contact.userId, contact);
    return contact;
  }

  private async read(userId: string): Promise<Contact | undefined> {
    this.cache.dropHere(userId);
    return this.get(userId);
  }

  /**
   * Applies a user event with compare-and-set on `updatedAt`, so two events for one user handled at
   * once cannot overwrite each other. Returns the contact as stored afterwards.
   */
  async apply(event: UserEvent): Promise<Contact | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      // Compare-and-set needs what is stored, not what this replica cached.
      const current = await this.read(event.data.userId);
      const next = applyUserEvent(current, event);
      if (!next) return current;
      const doc: ContactDoc = {
        _id: next.userId,
        email: next.email,
        name: next.name,
        locale: next.locale,
        deleted: next.deleted,
        updatedAt: next.updatedAt,
      };
      if (!current) {
        try {
          await this.model.create(doc);
          return this.stored(next);
        } catch (error) {
          if (isDuplicateKey(error)) continue;
          throw error;
        }
      }
      const result = await this.model
        .replaceOne({ _id: current.userId, updatedAt: current.updatedAt, deleted: current.deleted }, doc)
        .exec();
      if (result.matchedCount === 1) return this.stored(next);
    }
    throw new Error(`contact ${event.data.userId}: too many concurrent updates`);
  }
}
