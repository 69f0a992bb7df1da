import { isDuplicateKey } from '@guardian/mongo';
import { Schema, type Connection, type Model } from 'mongoose';

interface Counter {
  _id: string;
  seq: number;
}

const schema = new Schema<Counter>(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  { collection: 'counters', versionKey: false },
);

/**
 * Named counters (`counters`: one document per name): numbers 1, 2, ... handed out once.
 * FerretDB 1.x applies `$inc` as a read-modify-write that is not isolated between connections, so
 * two replicas can be handed the same number: whoever needs uniqueness keeps a unique index on
 * what it numbers and takes the next number on a collision (UserRepository.insert).
 */
export class Sequences {
  private readonly model: Model<Counter>;

  constructor(connection: Connection) {
    this.model =
      (connection.models.Counter as Model<Counter> | undefined) ??
      connection.model<Counter>('Counter', schema);
  }

  /** The next number of `name`, starting at 1. */
  async next(name: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        // The driver's call: mongoose's findOneAndUpdate adds a projection FerretDB refuses.
        const counter = await this.model.collection.findOneAndUpdate(
          { _id: name } as never,
          { $inc: { seq: 1 } },
          { returnDocument: 'after', upsert: true },
        );
        if (!counter) throw new Error(`the counter ${name} came back empty`);
        return (counter as unknown as Counter).seq;
      } catch (error) {
        // Two first calls creating the counter at once: the loser increments the winner's.
        if (!isDuplicateKey(error) || attempt >= 3) throw error;
      }
    }
  }

  /** Moves the counter of `name` up to `value` when it is below (it never goes back). */
  async atLeast(name: string, value: number): Promise<void> {
    try {
      await this.model.collection.updateOne(
        { _id: name } as never,
        { $max: { seq: value } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await this.model.collection.updateOne({ _id: name } as never, { $max: { seq: value } });
    }
  }
}
