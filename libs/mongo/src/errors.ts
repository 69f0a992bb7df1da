/** MongoDB duplicate-key error (unique index), as the driver and FerretDB report it. */
export const isDuplicateKey = (
  error: unknown,
): error is { code: 11000; message: string; keyPattern?: Record<string, unknown> } =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
