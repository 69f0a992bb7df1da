import {
  EventBus,
  EventConsumer,
  PendingEventsRelay,
  type Announce,
  type ConsumerOptions,
} from '@guardian/events';
import { startGrpcServer, type ServiceBinding } from '@guardian/grpc-kit';
import { createLogger, type Logger } from '@guardian/logger';
import { closeMongo, connectMongo, ensureIndexes, type Connection } from '@guardian/mongo';
import { createMetricsRegistry, runService, startMetricsServer, type ShutdownStep } from '@guardian/runtime';
import type { Model } from 'mongoose';
import { Histogram, type Registry } from 'prom-client';

/** The variables every gRPC service has (see `serviceEnv` in @guardian/config). */
export interface BaseServiceConfig {
  LOG_LEVEL: string;
  MONGO_URL: string;
  MONGO_DB: string;
  NATS_URL: string;
  EVENTS_STREAM: string;
  EVENTS_SUBJECT_PREFIX: string;
  GRPC_HOST: string;
  GRPC_PORT: number;
  METRICS_PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

/** What a service's wiring gets: its connections, already open. */
export interface ServiceDeps<C> {
  config: C;
  logger: Logger;
  mongo: Connection;
  bus: EventBus;
  registry: Registry;
  /** gRPC handler durations, labelled by method and status code (give it to `implement`). */
  grpcDurations: Histogram<'method' | 'code'>;
  /** For repositories that write `pendingEvents`: tells the relay to publish them now. */
  announce: Announce;
}

/** What a service's wiring returns: its gRPC services and background work. */
export interface ServiceParts {
  services: ServiceBinding[];
  /** .proto files (relative to proto/) of the services, for reflection. */
  protoFiles: string[];
  /** Models whose documents carry `pendingEvents` (published by the relay). */
  relayModels?: Model<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  consumers?: Omit<ConsumerOptions, 'logger'>[];
  /** Extra shutdown work, run after gRPC has drained and before connections close. */
  onShutdown?: ShutdownStep[];
}

/**
 * The relay of a service's `pendingEvents`, made before its wiring so repositories can announce
 * their writes to it from the start; `start()` once the wiring said which models to watch.
 */
export function eventRelay(
  bus: EventBus,
  logger: Logger,
  options: { intervalMs?: number } = {},
): { relay: PendingEventsRelay; start(parts: Pick<ServiceParts, 'relayModels'>): void } {
  const relay = new PendingEventsRelay(bus, [], logger, options);
  return {
    relay,
    start: (parts) => {
      relay.watch(parts.relayModels ?? []);
      relay.start();
    },
  };
}

/**
 * Boots a Guardian gRPC service: logger -> MongoDB -> NATS (stream provisioned) -> the service's own
 * wiring -> gRPC server (health + reflection) -> metrics endpoint -> relay and consumers -> SERVING.
 * SIGTERM: NOT_SERVING, drain gRPC, stop consumers and relay, drain NATS, close MongoDB, exit 0.
 */
export function runGrpcService<C extends BaseServiceConfig>(options: {
  name: string;
  config: C;
  setup: (deps: ServiceDeps<C>) => Promise<ServiceParts>;
}): void {
  const { config } = options;
  const logger = createLogger(options.name, { level: config.LOG_LEVEL });
  runService({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    start: async () => {
      const steps: ShutdownStep[] = [];
      const registry = createMetricsRegistry(options.name);
      const grpcDurations = new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'gRPC calls handled, by method and status code',
        labelNames: ['method', 'code'] as const,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      });
      let ready = false;
      const metrics = await startMetricsServer({ registry, port: config.METRICS_PORT, isReady: () => ready });
      steps.push({ name: 'metrics', run: () => metrics.close() });

      const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
      const bus = await EventBus.connect({
        url: config.NATS_URL,
        stream: config.EVENTS_STREAM,
        prefix: config.EVENTS_SUBJECT_PREFIX,
        source: `guardian/${options.name}`,
        logger,
      });
      const events = eventRelay(bus, logger);
      const parts = await options.setup({
        config,
        logger,
        mongo,
        bus,
        registry,
        grpcDurations,
        announce: events.relay.announce,
      });
      await ensureIndexes(mongo);

      const grpc = await startGrpcServer({
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        services: parts.services,
        protoFiles: parts.protoFiles,
        logger,
      });
      const { relay } = events;
      events.start(parts);
      const consumers = await Promise.all(
        (parts.consumers ?? []).map((consumer) => EventConsumer.start(bus, { ...consumer, logger })),
      );
      grpc.setServing(true);
      ready = true;
      logger.info({ grpcPort: grpc.port, metricsPort: metrics.port }, `${options.name} ready`);

      const grace = Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 3_000);
      // Shutdown order: stop taking calls first, then background work, then connections.
      return [
        { name: 'grpc', run: () => grpc.shutdown(grace) },
        { name: 'consumers', run: async () => void (await Promise.all(consumers.map((c) => c.stop()))) },
        { name: 'relay', run: () => relay.stop() },
        ...(parts.onShutdown ?? []),
        { name: 'nats', run: () => bus.drain() },
        { name: 'mongo', run: () => closeMongo(mongo) },
        ...steps,
      ];
    },
  });
}
