import { isDuplicateKey } from '@guardian/mongo';
import { Schema, type Connection, type Model } from 'mongoose';

interface UsedAssertion {
  _id: string;
  expiresAt: Date;
}

const schema = new Schema<UsedAssertion>(
  { _id: { type: String, required: true }, expiresAt: { type: Date, required: true, index: true } },
  { collection: 'used_face_assertions', versionKey: false },
);

/**
 * Face-assertion `jti`s already accepted (single use). The unique `_id` makes the claim atomic across
 * replicas. No TTL index (FerretDB has none): `sweep` deletes expired entries.
 */
export class UsedAssertionRepository {
  private readonly model: Model<UsedAssertion>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.UsedAssertion as Model<UsedAssertion> | undefined) ??
      connection.model<UsedAssertion>('UsedAssertion', schema);
  }

  /** True when this jti was not seen before (and is now recorded). */
  claim = async (jti: string, expiresAt: Date): Promise<boolean> => {
    try {
      await this.model.create({ _id: jti, expiresAt });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  };

  async sweep(now: Date): Promise<number> {
    return (await this.model.deleteMany({ expiresAt: { $lt: now } }).exec()).deletedCount;
  }
}
