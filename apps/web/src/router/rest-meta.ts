/**
 * How a procedure appears in the REST mirror, declared beside it with `.meta({ rest })` (or
 * `.meta({ noRest: 'why' })`): http/rest.ts registers the routes and writes the OpenAPI document
 * from these declarations and the procedures' input schemas; nothing else lists them.
 */
export type Raw = Record<string, unknown>;

export interface RestOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path; `:name` segments become input fields. */
  path: string;
  summary: string;
  /** OpenAPI tag (default: the router's namespace). */
  tag?: string;
  /** Callable without a Bearer token. */
  public?: true;
  status?: number;
  /** Multipart file fields: field name -> input key (`[]` suffix: an array). */
  files?: Record<string, string>;
  /**
   * A multipart body authenticated by a token inside it (face-only enrollment's `enrollmentToken`):
   * the field must come before the files, and is verified before any file is read.
   */
  tokenField?: string;
  /** Reshapes the raw body (JSON or multipart fields) into the procedure's input. */
  adapt?: (raw: Raw) => Raw;
}

/** `image` (once or repeated) or `images` -> `images` array, for enrollment. */
export const imagesFrom = (raw: Raw): Raw => {
  const { image, images, ...rest } = raw;
  const list = [
    ...(Array.isArray(images) ? images : images ? [images] : []),
    ...(Array.isArray(image) ? image : image ? [image] : []),
  ];
  return { ...rest, images: list };
};

/** A field sent once (the first, when a multipart body repeats it). */
export const single =
  (key: string) =>
  (raw: Raw): Raw =>
    Array.isArray(raw[key]) ? { ...raw, [key]: (raw[key] as unknown[])[0] } : raw;
