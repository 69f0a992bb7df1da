/** What a value becomes on the wire: Dates as ISO strings, bytes as base64. */
export type Json<T> = T extends Date
  ? string
  : T extends Uint8Array
    ? string
    : T extends readonly (infer U)[]
      ? Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** Converts a gRPC response (ts-proto: Date, Buffer) to plain JSON so RouterOutputs tell the truth. */
export function json<T>(value: T): Json<T> {
  if (value instanceof Date) return value.toISOString() as Json<T>;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64') as Json<T>;
  if (Array.isArray(value)) return value.map((item: unknown) => json(item)) as Json<T>;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = json(item);
    return out as Json<T>;
  }
  return value as Json<T>;
}
