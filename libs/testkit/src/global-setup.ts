import type { TestProject } from 'vitest/node';
import { startMongo, startNats, type ServerHandle } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    mongoUrl: string;
  }
}

/**
 * Once per test run: a real NATS (JetStream) and a real MongoDB-wire server on free ports, unless
 * NATS_URL / MONGO_URL point at servers to use instead. Stopped in teardown, also when tests fail.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: ServerHandle[] = [];
  const teardown = async () => {
    await Promise.allSettled(started.map((server) => server.stop()));
  };
  try {
    const [natsResult, mongoResult] = await Promise.allSettled([
      process.env.NATS_URL ? undefined : startNats(),
      process.env.MONGO_URL ? undefined : startMongo(),
    ]);
    for (const result of [natsResult, mongoResult])
      if (result.status === 'fulfilled' && result.value) started.push(result.value);
    if (natsResult.status === 'rejected') throw natsResult.reason;
    if (mongoResult.status === 'rejected') throw mongoResult.reason;
    const nats = natsResult.value;
    const mongo = mongoResult.value;
    project.provide('natsUrl', process.env.NATS_URL ?? nats!.url);
    project.provide('mongoUrl', process.env.MONGO_URL ?? mongo!.url);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
