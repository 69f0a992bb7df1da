import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' | 'UNREACHABLE';

type HealthClient = Client & {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: { status: HealthStatus }) => void,
  ): void;
};

let HealthCtor:
  (new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient) | undefined;

/** Asks a server's grpc.health.v1 for `service` ("" = the whole server); never throws. */
export async function checkHealth(address: string, service = '', deadlineMs = 2_000): Promise<HealthStatus> {
  if (!HealthCtor) {
    const definition = loadPackageDefinition(
      loadSync(healthProtoPath, { keepCase: true, enums: String }),
    ) as unknown as {
      grpc: { health: { v1: { Health: typeof HealthCtor } } };
    };
    HealthCtor = definition.grpc.health.v1.Health;
  }
  const client = new HealthCtor!(address, credentials.createInsecure());
  try {
    return await new Promise<HealthStatus>((resolve) =>
      client.check({ service }, { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error) resolve(error.code === 5 ? 'SERVICE_UNKNOWN' : 'UNREACHABLE');
        else resolve(response?.status ?? 'UNKNOWN');
      }),
    );
  } finally {
    client.close();
  }
}
