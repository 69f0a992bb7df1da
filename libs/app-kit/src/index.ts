import {
  EventBus,
  EventConsumer,
  PendingEventsRelay,
  type Announce,
  type ConsumerOptions,
} from '@guardian/events';
import { startGrpcServer, type GrpcServerHandle, type ServiceBinding } from '@guardian/grpc-kit';
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

/** A service's wiring started on open connections: what `startService` answers. */
export interface RunningService<P extends ServiceParts> {
  parts: P;
  grpc: GrpcServerHandle;
  relay: PendingEventsRelay;
  consumers: EventConsumer[];
  /**
   * Stops what `startService` started, in order: gRPC (running calls get `graceMs`), consumers,
   * relay, the service's own shutdown work. The connections stay the caller's to close.
   */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts a service's wiring on connections the caller opened (runGrpcService, and the tests and
 * benchmarks that boot a service in-process): the relay first (repositories announce to it from
 * the start), the wiring, indexes, the gRPC server (health + reflection), the relay's sweeps, the
 * event consumers, then SERVING.
 */
export async function startService<C, P extends ServiceParts>(options: {
  config: C;
  logger: Logger;
  mongo: Connection;
  bus: EventBus;
  registry: Registry;
  grpc: { host: string; port: number };
  setup: (deps: ServiceDeps<C>) => Promise<P>;
  relayIntervalMs?: number;
  /** Lets a test wrap each consumer's handler (fault injection). */
  wrapHandler?: (handler: ConsumerOptions['handler']) => ConsumerOptions['handler'];
}): Promise<RunningService<P>> {
  const { config, logger, mongo, bus, registry } = options;
  const grpcDurations = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'gRPC calls handled, by method and status code',
    labelNames: ['method', 'code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const relay = new PendingEventsRelay(bus, [], logger, {
    ...(options.relayIntervalMs ? { intervalMs: options.relayIntervalMs } : {}),
  });
  const parts = await options.setup({
    config,
    logger,
    mongo,
    bus,
    registry,
    grpcDurations,
    announce: relay.announce,
  });
  await ensureIndexes(mongo);
  const grpc = await startGrpcServer({
    ...options.grpc,
    services: parts.services,
    protoFiles: parts.protoFiles,
    logger,
  });
  relay.watch(parts.relayModels ?? []);
  relay.start();
  const wrap = options.wrapHandler ?? ((handler) => handler);
  const consumers = await Promise.all(
    (parts.consumers ?? []).map((consumer) =>
      EventConsumer.start(bus, { ...consumer, handler: wrap(consumer.handler), logger }),
    ),
  );
  grpc.setServing(true);
  return {
    parts,
    grpc,
    relay,
    consumers,
    stop: async (graceMs) => {
      await grpc.shutdown(graceMs);
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await relay.stop();
      for (const step of parts.onShutdown ?? []) await step.run();
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
      let ready = false;
      const database: { connection?: Connection } = {};
      // Ready once started, and only while the database is connected (1): a service that cannot
      // reach it answers nothing useful, and the orchestrator should route around it meanwhile.
      const metrics = await startMetricsServer({
        registry,
        port: config.METRICS_PORT,
        isReady: () => ready && database.connection?.readyState === 1,
      });
      steps.push({ name: 'metrics', run: () => metrics.close() });

      const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger });
      database.connection = mongo;
      const bus = await EventBus.connect({
        url: config.NATS_URL,
        stream: config.EVENTS_STREAM,
        prefix: config.EVENTS_SUBJECT_PREFIX,
        source: `guardian/${options.name}`,
        logger,
      });
      const { grpc, relay, consumers, parts } = await startService({
        config,
        logger,
        mongo,
        bus,
        registry,
        grpc: { host: config.GRPC_HOST, port: config.GRPC_PORT },
        setup: options.setup,
      });
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
