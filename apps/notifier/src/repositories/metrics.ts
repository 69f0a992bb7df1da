import type { EventBus } from '@guardian/events';
import { Counter, Gauge, type Registry } from 'prom-client';

import type { Outcome } from '../services/notification.service.js';
import type { TemplateName } from '../templates/template-data.js';

/** Notifier metrics: outcomes by template and the durable consumer's backlog (lag). */
export class NotifierMetrics {
  private readonly outcomes: Counter<'template' | 'status'>;

  constructor(registry: Registry, bus: EventBus, durable: string) {
    this.outcomes = new Counter({
      name: 'notifier_notifications_total',
      help: 'Notifications by template and final status (sent, failed, suppressed)',
      labelNames: ['template', 'status'] as const,
      registers: [registry],
    });
    const pending = new Gauge({
      name: 'notifier_consumer_pending_messages',
      help: 'Events in the stream not yet delivered to the notifier consumer (consumer lag)',
      registers: [registry],
      async collect() {
        const info = await bus.jsm.consumers.info(bus.options.stream, durable).catch(() => undefined);
        if (info) this.set(info.num_pending);
      },
    });
    new Gauge({
      name: 'notifier_consumer_ack_pending_messages',
      help: 'Events delivered to the notifier and not acknowledged yet',
      registers: [registry],
      async collect() {
        const info = await bus.jsm.consumers.info(bus.options.stream, durable).catch(() => undefined);
        if (info) this.set(info.num_ack_pending);
      },
    });
    void pending;
  }

  count(template: TemplateName, status: Outcome): void {
    this.outcomes.inc({ template, status });
  }
}
