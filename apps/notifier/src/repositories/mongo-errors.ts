/** MongoDB duplicate-key error (unique index), as the driver and FerretDB report it. */
export const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
