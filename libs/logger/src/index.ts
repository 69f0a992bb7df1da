import { randomUUID } from 'node:crypto';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Header/metadata key that carries the correlation id across gRPC calls and events. */
export const REQUEST_ID_KEY = 'x-request-id';

/** Never log these, even by accident: pino replaces them with "[redacted]". */
const REDACT = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'image',
  '*.image',
  'images',
  '*.images',
  'embedding',
  '*.embedding',
  'descriptor',
  '*.descriptor',
];

export function createLogger(
  service: string,
  options: { level?: string; destination?: pino.DestinationStream } = {},
) {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export const newRequestId = (): string => randomUUID();

/** A request id from an incoming carrier, or a fresh one; always safe to log (length-limited, printable). */
export function requestIdFrom(value: unknown): string {
  if (typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value)) return value;
  return newRequestId();
}
