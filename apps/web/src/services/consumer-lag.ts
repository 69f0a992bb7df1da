import type { EventBus } from '@guardian/events';
import type { ConsumerLag } from '../router/trpc.js';

/** Every consumer on the stream and how far behind it is (durables of all services, our ordered ones). */
export async function consumerLag(bus: EventBus): Promise<ConsumerLag[]> {
  const infos = await bus.jsm.consumers.list(bus.options.stream).next();
  return infos
    .filter((info) => info.config.durable_name)
    .map((info) => ({
      stream: info.stream_name,
      consumer: info.name,
      pending: info.num_pending,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
    }));
}
