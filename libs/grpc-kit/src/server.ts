import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadPackageDefinition } from '@guardian/proto';
import type { Logger } from '@guardian/logger';
import { dirname } from 'node:path';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { tolerantDefinition } from './handler.js';

export interface ServiceBinding {
  /** Fully-qualified name, e.g. "guardian.identity.v1.AuthService" (the health-check service name). */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerHandle {
  readonly server: Server;
  readonly port: number;
  readonly health: HealthImplementation;
  /** Marks every service (and the whole server, "") SERVING or NOT_SERVING. */
  setServing(serving: boolean): void;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Starts a gRPC server with the given services plus grpc.health.v1 and server reflection (from the
 * same .proto files, so grpcurl can list and call everything). Health starts NOT_SERVING: call
 * `setServing(true)` once the app's dependencies are ready.
 */
export async function startGrpcServer(options: {
  host: string;
  port: number;
  services: ServiceBinding[];
  /** .proto files (relative to proto/) that define the services, for reflection. */
  protoFiles: string[];
  logger: Logger;
  maxMessageBytes?: number;
}): Promise<GrpcServerHandle> {
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
  const names = options.services.map((service) => service.name);
  const health = new HealthImplementation(
    Object.fromEntries(['', ...names].map((name) => [name, 'NOT_SERVING'])),
  );
  health.addToServer(server);
  // Reflection describes exactly what is registered: our services plus grpc.health.v1.
  const healthDir = dirname(dirname(dirname(healthProtoPath)));
  new ReflectionService(
    loadPackageDefinition([...options.protoFiles, 'health/v1/health.proto'], [healthDir]),
    {
      services: [...names, 'grpc.health.v1.Health'],
    },
  ).addToServer(server);
  for (const service of options.services)
    server.addService(tolerantDefinition(service.definition), service.implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  options.logger.info({ port, services: names }, 'gRPC server listening');

  const setServing = (serving: boolean) => {
    for (const name of ['', ...names]) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  };

  return {
    server,
    port,
    health,
    setServing,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        setServing(false);
        const force = setTimeout(() => {
          options.logger.warn(
            { graceMs },
            'gRPC calls still running after the grace period; cancelling them',
          );
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
