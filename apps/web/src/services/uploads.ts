import { FRAME_BUDGET } from '@guardian/auth';
import { DomainError, sniffMediaType as sniff, type SniffedMediaType as SniffedType } from '@guardian/domain';

const IMAGE_TYPES: readonly SniffedType[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const DOCUMENT_TYPES: readonly SniffedType[] = ['image/jpeg', 'image/png', 'application/pdf'];

/** Decoded size of a base64 string without decoding it. */
export function base64Size(text: string): number {
  const body = text.replace(/\s/g, '');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

/** Bytes from a Buffer (multipart) or a base64 string, with or without a `data:` URL prefix. */
export function decodeUpload(value: string | Uint8Array, maxBytes: number, field: string): Buffer {
  if (typeof value !== 'string') {
    if (value.byteLength > maxBytes) throw tooLarge(field, maxBytes);
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  const body = value.startsWith('data:') ? value.slice(value.indexOf(',') + 1) : value;
  if (!/^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/.test(body)) {
    throw new DomainError('invalid', 'INVALID_BASE64', `${field} is not valid base64`);
  }
  if (base64Size(body) > maxBytes) throw tooLarge(field, maxBytes);
  return Buffer.from(body, 'base64');
}

function tooLarge(field: string, maxBytes: number): DomainError {
  return new DomainError(
    'too_large',
    'PAYLOAD_TOO_LARGE',
    `${field} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`,
    {
      metadata: { field, maxBytes: String(maxBytes) },
    },
  );
}

/** A photo: JPEG, PNG, GIF or WebP by its bytes, within the limit. */
export function readImage(value: string | Uint8Array, maxBytes: number, field = 'image'): Buffer {
  const bytes = decodeUpload(value, maxBytes, field);
  if (bytes.byteLength === 0) throw new DomainError('invalid', 'IMAGE_REQUIRED', `${field} is empty`);
  const type = sniff(bytes);
  if (!type || !IMAGE_TYPES.includes(type)) {
    throw new DomainError(
      'unsupported',
      'UNSUPPORTED_FORMAT',
      `${field} must be a JPEG, PNG, WebP or GIF image`,
      { metadata: { field } },
    );
  }
  return bytes;
}

/** An identity document: JPEG, PNG or PDF by its bytes, within the limit. */
export function readDocument(
  value: string | Uint8Array,
  maxBytes: number,
  field = 'document',
): { bytes: Buffer; type: SniffedType } {
  const bytes = decodeUpload(value, maxBytes, field);
  const type = sniff(bytes);
  if (!type || !DOCUMENT_TYPES.includes(type)) {
    throw new DomainError('unsupported', 'UNSUPPORTED_FORMAT', `${field} must be a JPEG, PNG or PDF file`, {
      metadata: { field },
    });
  }
  return { bytes, type };
}

/** A checked photo as biometrics' `Image` message. */
export const imageOf = (bytes: Buffer) => ({ source: { $case: 'data' as const, value: bytes } });

/** A liveness capture's bytes: frames must be images (sniffed); a clip is passed on for biometrics to check. */
export function readLiveness(capture: {
  session: string;
  frames: { image: string | Uint8Array; tMs: number }[];
  clip?: string | Uint8Array | undefined;
}): { session: string; frames: { image: Buffer; tMs: number }[]; clip: Buffer } {
  return {
    session: capture.session,
    frames: capture.frames.map((f, i) => ({
      image: readImage(f.image, FRAME_BUDGET.maxFrameBytes, `liveness.frames[${i}]`),
      tMs: f.tMs,
    })),
    clip:
      capture.clip === undefined
        ? Buffer.alloc(0)
        : decodeUpload(capture.clip, FRAME_BUDGET.maxCaptureBytes, 'liveness.clip'),
  };
}
