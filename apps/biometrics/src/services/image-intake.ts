/**
 * Image intake: untrusted bytes in, RGB pixels for the inference pool out (sharp/libvips).
 *
 * Order of checks (cheapest first): byte limit (before base64 decoding, from the string length) ->
 * format sniffed from magic bytes (JPEG, PNG, WebP, GIF; names and MIME types are ignored) -> header
 * (dimensions after EXIF orientation) -> limits: the shorter side >= `minSide`, the pixel budget
 * (`maxPixels`, default 50 MP: a phone's 48 MP photo passes) and the longer side <= `maxSide`, all from
 * the header before anything is decoded, so a decompression bomb (a small file declaring a huge
 * canvas) is refused unread; libvips' `limitInputPixels` enforces the same budget again while decoding
 * -> full decode (truncated/corrupt data fails here) with EXIF rotation applied, alpha flattened onto
 * white, 8-bit sRGB, first frame only for GIF.
 *
 * Working size: images whose longest side exceeds `workingSize` (default 1024) are downscaled before
 * inference (libjpeg shrinks large JPEGs while decoding, so a 48 MP photo never exists at full size). Detectors resize to 416/512 px anyway and the descriptor net sees 150x150 aligned crops,
 * so a 1024 px working image loses nothing for faces >= ~150 px while cutting decode, transfer and
 * crop cost for 4096 px uploads. `scale` (original / working) goes with the pixels; the pool multiplies
 * boxes and landmarks by it, so callers always see original-image coordinates.
 */
import sharp, { type Metadata } from 'sharp';
import { DomainError, sniffMediaType } from '@guardian/domain';
import type { RawImage } from '../repositories/inference/types.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export interface ImageIntakeOptions {
  /** Largest accepted payload in bytes, after base64 decoding (default 8 MiB). */
  maxBytes?: number;
  /** Smallest accepted side in pixels, after EXIF orientation (default 48). */
  minSide?: number;
  /** Largest accepted side in pixels (default 16384). */
  maxSide?: number;
  /** Pixel budget, width × height from the header (default 50,000,000). */
  maxPixels?: number;
  /** Longest side of the working image handed to inference (default 1024). */
  workingSize?: number;
}

export interface DecodedImage extends RawImage {
  /** Always set: original / working size ratio, >= 1. */
  scale: number;
  format: ImageFormat;
  /** Size of the (EXIF-oriented) original, in pixels. */
  originalWidth: number;
  originalHeight: number;
  /** EXIF orientation tag found in the file (1 when absent). */
  orientation: number;
  /** Payload size in bytes. */
  bytes: number;
}

export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MIN_SIDE = 48;
export const DEFAULT_MAX_SIDE = 16384;
export const DEFAULT_MAX_PIXELS = 50_000_000;
export const DEFAULT_WORKING_SIZE = 1024;

const tooLarge = (bytes: number, max: number) =>
  new DomainError('too_large', 'PAYLOAD_TOO_LARGE', `image payload is ${bytes} bytes, the limit is ${max}`, {
    metadata: { limitBytes: String(max) },
  });
/**
 * The decoder's own text (libvips: "VipsJpeg: premature end of JPEG image", file offsets) stays in
 * `cause` for the logs; the caller gets a plain sentence.
 */
const corrupt = (cause?: unknown) =>
  new DomainError(
    'invalid',
    'CORRUPT_IMAGE',
    'the image could not be decoded: the file is damaged or truncated',
    {
      ...(cause === undefined ? {} : { cause }),
    },
  );

/** The image format from the first bytes, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  return FORMAT_OF[sniffMediaType(bytes) ?? ''];
}

const FORMAT_OF: Record<string, ImageFormat> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/**
 * Raw bytes from a Buffer/Uint8Array or a base64 string (standard or url-safe alphabet, whitespace and
 * a `data:<mime>;base64,` prefix tolerated). Enforces the byte limit before decoding base64.
 */
export function payloadBytes(input: Uint8Array | string, maxBytes = DEFAULT_MAX_BYTES): Buffer {
  if (typeof input !== 'string') {
    if (input.byteLength > maxBytes) throw tooLarge(input.byteLength, maxBytes);
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  let text = input.trim();
  const comma = text.indexOf(',');
  if (text.startsWith('data:') && comma > 0) {
    if (!/;base64$/i.test(text.slice(0, comma))) {
      throw new DomainError('invalid', 'INVALID_BASE64', 'data: URL must be base64-encoded');
    }
    text = text.slice(comma + 1);
  }
  text = text.replace(/\s+/g, '');
  // Upper bound of the decoded size, checked before allocating anything.
  const estimate = Math.floor((text.length * 3) / 4);
  if (estimate > maxBytes + 2) throw tooLarge(estimate, maxBytes);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new DomainError('invalid', 'INVALID_BASE64', 'image is not valid base64');
  }
  const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength, maxBytes);
  return bytes;
}

/** Validates and decodes an uploaded image into working-size RGB pixels (see module comment). */
export async function decodeImage(
  input: Uint8Array | string,
  options: ImageIntakeOptions = {},
): Promise<DecodedImage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const minSide = options.minSide ?? DEFAULT_MIN_SIDE;
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const workingSize = options.workingSize ?? DEFAULT_WORKING_SIZE;

  const bytes = payloadBytes(input, maxBytes);
  if (bytes.byteLength === 0) throw new DomainError('invalid', 'EMPTY_IMAGE', 'image payload is empty');
  const format = sniffFormat(bytes);
  if (!format) {
    throw new DomainError(
      'unsupported',
      'UNSUPPORTED_FORMAT',
      'image format not supported (JPEG, PNG, WebP or GIF)',
    );
  }

  // Decompression-bomb guard while decoding (the header check below refuses such images first).
  const limitInputPixels = maxPixels;
  const open = () => sharp(bytes, { limitInputPixels, failOn: 'truncated', pages: 1, page: 0 });

  let meta: Metadata;
  try {
    // The header alone (nothing decoded): the budget is checked below, with the sizes in the answer.
    meta = await sharp(bytes, { limitInputPixels: false, pages: 1, page: 0 }).metadata();
  } catch (error) {
    throw mapSharpError(error, maxPixels);
  }
  if (!meta.width || !meta.height) throw corrupt();
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  // For GIF, metadata height can be the height of all pages; we decode page 0 only (pages: 1).
  const frameHeight = meta.pageHeight ?? meta.height;
  const width = swap ? frameHeight : meta.width;
  const height = swap ? meta.width : frameHeight;
  if (Math.min(width, height) < minSide) {
    throw new DomainError(
      'invalid',
      'IMAGE_TOO_SMALL',
      `image is ${width}x${height}, each side must be at least ${minSide} px`,
    );
  }
  if (Math.max(width, height) > maxSide || width * height > maxPixels) {
    throw new DomainError(
      'invalid',
      'IMAGE_TOO_LARGE',
      `image is ${width}x${height}; at most ${(maxPixels / 1e6).toFixed(0)} megapixels and ${maxSide} px a side are accepted`,
      { metadata: { width: String(width), height: String(height), maxPixels: String(maxPixels) } },
    );
  }

  try {
    let pipeline = open().rotate().flatten({ background: '#ffffff' });
    if (Math.max(width, height) > workingSize) {
      pipeline = pipeline.resize({
        width: workingSize,
        height: workingSize,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.byteLength !== info.width * info.height * 3) {
      throw corrupt(new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`));
    }
    // Own, exactly-sized ArrayBuffer: the pool transfers it to a worker without another copy.
    const pixels = new Uint8Array(data.byteLength);
    pixels.set(data);
    return {
      pixels,
      width: info.width,
      height: info.height,
      scale: width / info.width,
      format,
      originalWidth: width,
      originalHeight: height,
      orientation,
      bytes: bytes.byteLength,
    };
  } catch (error) {
    throw mapSharpError(error, maxPixels);
  }
}

function mapSharpError(error: unknown, maxPixels: number): DomainError {
  if (error instanceof DomainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new DomainError('invalid', 'IMAGE_TOO_LARGE', `image has more than ${maxPixels} pixels`);
  }
  if (/unsupported image format/i.test(message)) {
    return new DomainError(
      'unsupported',
      'UNSUPPORTED_FORMAT',
      'image format not supported (JPEG, PNG, WebP or GIF)',
    );
  }
  return corrupt(error);
}
