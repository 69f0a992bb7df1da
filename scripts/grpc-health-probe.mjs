#!/usr/bin/env node
// Container health probe (plain JS, no build step, used by Dockerfile/compose HEALTHCHECKs).
//
//   node scripts/grpc-health-probe.mjs <host:port> [service]
//     Calls grpc.health.v1.Health/Check (plaintext). Exit 0 when the answer is SERVING, 1 otherwise
//     (NOT_SERVING, UNKNOWN, NOT_FOUND for the service, connection refused, 3 s deadline exceeded, ...).
//     `service` defaults to '' (the whole server).
//
//   node scripts/grpc-health-probe.mjs http://<host:port>/<path>
//     Convenience for the HTTP-only app (web): GET the URL, exit 0 on a 2xx answer within 3 s.
//
// Environment: HEALTH_PROBE_TIMEOUT_MS overrides the 3000 ms deadline.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Both packages are CommonJS; grpc-health-check exports `service` (the proto-loader definition of
// grpc.health.v1.Health) which makeClientConstructor turns into a client class.
const grpc = require('@grpc/grpc-js');
const { service: healthService } = require('grpc-health-check');

const timeoutMs =
  Number(process.env.HEALTH_PROBE_TIMEOUT_MS) > 0 ? Number(process.env.HEALTH_PROBE_TIMEOUT_MS) : 3000;

function usage() {
  process.stderr.write('usage: grpc-health-probe.mjs <host:port> [service] | <http://host:port/path>\n');
  process.exit(1);
}

async function probeHttp(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.ok) {
      process.stdout.write(`${url}: HTTP ${res.status}\n`);
      process.exit(0);
    }
    process.stderr.write(`${url}: HTTP ${res.status}\n`);
  } catch (err) {
    process.stderr.write(`${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
}

function probeGrpc(target, serviceName) {
  const HealthClient = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
  const client = new HealthClient(target, grpc.credentials.createInsecure());
  const deadline = new Date(Date.now() + timeoutMs);
  client.check({ service: serviceName }, { deadline }, (err, response) => {
    client.close();
    if (err) {
      const code = grpc.status[err.code] ?? err.code;
      process.stderr.write(
        `${target} [${serviceName || '<server>'}]: ${code}: ${err.details || err.message}\n`,
      );
      process.exit(1);
    }
    const status = response?.status;
    if (status === 'SERVING') {
      process.stdout.write(`${target} [${serviceName || '<server>'}]: SERVING\n`);
      process.exit(0);
    }
    process.stderr.write(`${target} [${serviceName || '<server>'}]: ${status ?? 'no status'}\n`);
    process.exit(1);
  });
}

const [target, serviceName = ''] = process.argv.slice(2);
if (!target || target === '-h' || target === '--help') usage();
if (/^https?:\/\//i.test(target)) {
  await probeHttp(target);
} else {
  probeGrpc(target, serviceName);
}
