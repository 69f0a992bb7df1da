/**
 * Keeps this replica's 1:N index in step with the others through `biometric.enrolled|removed`.
 *
 * Choice: an **ordered (ephemeral) consumer** per replica, not a durable one. Every replica must see
 * every event (fan-out), and a replica's state is rebuilt from MongoDB when it starts, so it needs no
 * server-side position that outlives it: a durable per replica would leave an orphan consumer behind
 * every pod that goes away. The ordered consumer is created *before* the index is loaded, delivering
 * from that moment, so nothing that happens during the load is missed; each event makes the replica
 * re-read that user's record (FaceIndexSync.syncUser), which is idempotent and order-independent.
 * nats.js re-creates an ordered consumer after a gap or a reconnect, from the last sequence it saw.
 */
import { DeliverPolicy, type ConsumerMessages } from 'nats';
import type { EventBus } from '@guardian/events';
import { fromMessage, MalformedEventError } from '@guardian/events';
import type { Logger } from '@guardian/logger';
import type { FaceIndexSync } from '../services/face-index-sync.js';

export class IndexSyncConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  /** Events applied (for tests and metrics). */
  applied = 0;

  private constructor(
    private readonly bus: EventBus,
    private readonly sync: FaceIndexSync,
    private readonly logger: Logger,
  ) {}

  /** Subscribes now (deliver from this moment); call `run()` once the index is loaded. */
  static async subscribe(bus: EventBus, sync: FaceIndexSync, logger: Logger): Promise<IndexSyncConsumer> {
    const consumer = new IndexSyncConsumer(bus, sync, logger);
    const ordered = await bus.js.consumers.get(bus.options.stream, {
      // One filter subject: nats-server 2.9 has no multi-filter consumers; other biometric.* are skipped.
      filterSubjects: bus.subject('biometric.>'),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date().toISOString(),
    });
    consumer.messages = await ordered.consume({ max_messages: 100 });
    return consumer;
  }

  run(): void {
    this.loop = this.process();
  }

  private async process(): Promise<void> {
    if (!this.messages) return;
    for await (const msg of this.messages) {
      if (this.stopped) break;
      let userId = '';
      try {
        const event = fromMessage(msg.headers, msg.data);
        if (event.type !== 'biometric.enrolled' && event.type !== 'biometric.removed') continue;
        userId = (event.data as { userId?: string }).userId ?? event.subject;
        if (userId) await this.syncWithRetries(userId);
        this.applied++;
      } catch (error) {
        if (error instanceof MalformedEventError) continue;
        // The row stays stale until the next event for the user or a restart reloads the index.
        this.logger.error({ err: error, userId }, 'index sync failed for one event');
      }
    }
    if (!this.stopped)
      this.logger.error({}, 'index sync consumer ended unexpectedly; restart the replica to resync');
  }

  /** Re-reading is idempotent, so a failed read (MongoDB blip) is simply tried again. */
  private async syncWithRetries(userId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sync.syncUser(userId);
        return;
      } catch (error) {
        if (attempt >= 4 || this.stopped) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }
}
