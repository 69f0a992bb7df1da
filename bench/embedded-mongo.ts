/**
 * Embedded MongoDB-wire server benchmark (not a test): `npx tsx bench/embedded-mongo.ts [--sizes 1000,5000,20000]`
 *
 * What a query costs on the test kit's server (FerretDB on SQLite, or mongod where installed) as a
 * collection grows: a collection shaped like `auth_attempts` (relayed, with `pendingEvents`) is
 * filled to each size, and the median of 5 runs is printed for the queries the services make on it:
 * the relay's full sweep (`pendingEvents.0` exists), a read by `_id`, a read by another field, and a
 * count. Each figure is also given as a ratio to the read by `_id` of the same round (the baseline),
 * since this machine's speed swings during a day.
 */
import mongoose from 'mongoose';
import { startMongo } from '../libs/testkit/src/servers.js';
import { arg } from './lib/args.js';

const SIZES = arg('sizes', '1000,5000,20000').split(',').map(Number);

const median = async (run: () => Promise<unknown>) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2]!;
};

async function main() {
  const server = await startMongo();
  const connection = await mongoose.createConnection(server.url, { dbName: 'embedded_bench' }).asPromise();
  try {
    const attempts = connection.collection<{ _id: string }>('auth_attempts');
    const queries: Record<string, () => Promise<unknown>> = {
      'relay sweep (pendingEvents.0 exists)': () =>
        attempts
          .find(
            { 'pendingEvents.0': { $exists: true } },
            { projection: { _id: 1, pendingEvents: 1 }, limit: 500 },
          )
          .toArray(),
      'by userId': () => attempts.find({ userId: 'user-7' }).toArray(),
      'count all': () => attempts.countDocuments({}),
    };
    console.log(`server: ${server.kind}\n`);
    console.log('| documents | query | median ms | × by _id |');
    console.log('| --- | --- | --- | --- |');
    let stored = 0;
    for (const size of SIZES) {
      const docs = [];
      for (; stored < size; stored++)
        docs.push({
          _id: `attempt-${stored}`,
          userId: `user-${stored % 500}`,
          ip: '127.0.0.1',
          userAgent: 'Mozilla/5.0 (embedded bench)',
          outcome: 'failure',
          reason: 'WRONG_PASSWORD',
          at: new Date(),
          pendingEvents: [],
        });
      for (let i = 0; i < docs.length; i += 1_000) await attempts.insertMany(docs.slice(i, i + 1_000));
      const byId = await median(() => attempts.findOne({ _id: 'attempt-7' }));
      console.log(`| ${size} | by _id | ${byId.toFixed(1)} | 1 |`);
      for (const [label, run] of Object.entries(queries)) {
        const ms = await median(run);
        console.log(`| ${size} | ${label} | ${ms.toFixed(1)} | ${(ms / byId).toFixed(0)} |`);
      }
    }
  } finally {
    await connection.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
