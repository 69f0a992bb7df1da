import { readFile } from 'node:fs/promises';
import sharp, { type SharpOptions } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import { decodeImage, payloadBytes, sniffFormat } from '../src/services/image-intake.js';
import { loadFixtures, type FixtureCatalogue } from './fixtures/faces.js';

let fx: FixtureCatalogue;
beforeAll(async () => {
  fx = await loadFixtures();
}, 180_000);

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const variant = (kind: string) => fx.variants.find((v) => v.kind === kind)!.file;

describe('image intake: errors', () => {
  it('PAYLOAD_TOO_LARGE for a Buffer over the limit (too_large)', async () => {
    const e = await rejection(decodeImage(await readFile(fx.oversized)));
    expect([e.kind, e.reason]).toEqual(['too_large', 'PAYLOAD_TOO_LARGE']);
  });

  it('PAYLOAD_TOO_LARGE for base64 over the limit, checked before decoding', async () => {
    const b64 = (await readFile(fx.oversized)).toString('base64');
    const e = await rejection(decodeImage(b64));
    expect(e.reason).toBe('PAYLOAD_TOO_LARGE');
    // A configurable limit: the same small JPEG passes at 8 MiB and fails at 1 KiB.
    const small = await readFile(fx.people[0]!.file);
    await expect(decodeImage(small)).resolves.toBeTruthy();
    expect((await rejection(decodeImage(small, { maxBytes: 1024 }))).reason).toBe('PAYLOAD_TOO_LARGE');
  });

  it('UNSUPPORTED_FORMAT for random bytes and for formats outside the list (unsupported)', async () => {
    const e = await rejection(decodeImage(await readFile(fx.randomBytes)));
    expect([e.kind, e.reason]).toEqual(['unsupported', 'UNSUPPORTED_FORMAT']);
    const tiff = await sharp(fx.people[0]!.file).tiff().toBuffer();
    expect((await rejection(decodeImage(tiff))).reason).toBe('UNSUPPORTED_FORMAT');
    // A misleading data: MIME type does not matter, the bytes do.
    const png = await readFile(fx.nonFace);
    const decoded = await decodeImage(`data:image/jpeg;base64,${png.toString('base64')}`);
    expect(decoded.format).toBe('png');
  });

  it('IMAGE_TOO_SMALL under 48 px a side (invalid)', async () => {
    const e = await rejection(decodeImage(await readFile(fx.tiny40)));
    expect([e.kind, e.reason]).toEqual(['invalid', 'IMAGE_TOO_SMALL']);
  });

  it('IMAGE_TOO_LARGE over 16384 px a side, and for decompression bombs (invalid)', async () => {
    const wide = await rejection(decodeImage(await readFile(fx.wide)));
    expect([wide.kind, wide.reason]).toEqual(['invalid', 'IMAGE_TOO_LARGE']);
    const bombBytes = await readFile(fx.bomb);
    expect(bombBytes.byteLength).toBeLessThan(1024 * 1024); // tiny file, 81 Mpx once decoded
    const bomb = await rejection(decodeImage(bombBytes));
    expect([bomb.kind, bomb.reason]).toEqual(['invalid', 'IMAGE_TOO_LARGE']);
    expect(bomb.metadata).toMatchObject({ width: '9000', height: '9000', maxPixels: '50000000' });
    // The budget is read from the header: a lower budget refuses an ordinary photo the same way.
    const small = await rejection(decodeImage(await readFile(fx.people[0]!.file), { maxPixels: 10_000 }));
    expect(small.reason).toBe('IMAGE_TOO_LARGE');
  });

  it('accepts a photo over 4096 px within the pixel budget, downscaled to the working size', async () => {
    const img = await decodeImage(await readFile(fx.large));
    expect(img.originalWidth).toBe(6000);
    expect(Math.max(img.width, img.height)).toBe(1024);
    expect(img.scale).toBeCloseTo(Math.max(img.originalWidth, img.originalHeight) / 1024, 2);
    expect(img.pixels.byteLength).toBe(img.width * img.height * 3);
  });

  it('CORRUPT_IMAGE for a truncated JPEG and for a damaged PNG (invalid)', async () => {
    const e = await rejection(decodeImage(await readFile(fx.truncatedJpeg)));
    expect([e.kind, e.reason]).toEqual(['invalid', 'CORRUPT_IMAGE']);
    const png = Buffer.from(await readFile(fx.nonFace));
    png.fill(0x55, 200, png.length - 20); // keep the header, destroy the IDAT data
    expect((await rejection(decodeImage(png))).reason).toBe('CORRUPT_IMAGE');
  });

  it('EMPTY_IMAGE and INVALID_BASE64 (invalid)', async () => {
    expect((await rejection(decodeImage(Buffer.alloc(0)))).reason).toBe('EMPTY_IMAGE');
    expect((await rejection(decodeImage('not base64 at all!'))).reason).toBe('INVALID_BASE64');
  });
});

describe('image intake: decoding', () => {
  it('sniffs JPEG, PNG, WebP and GIF from magic bytes', async () => {
    expect(sniffFormat(await readFile(fx.people[0]!.file))).toBe('jpeg');
    expect(sniffFormat(await readFile(variant('png-alpha')))).toBe('png');
    expect(sniffFormat(await readFile(variant('webp')))).toBe('webp');
    expect(sniffFormat(await readFile(variant('gif')))).toBe('gif');
    expect(sniffFormat(await readFile(fx.randomBytes))).toBeUndefined();
  });

  it('returns tightly packed RGB with its own transferable buffer', async () => {
    const p = fx.people[0]!;
    const img = await decodeImage(await readFile(p.file));
    expect([img.width, img.height, img.format, img.scale]).toEqual([p.width, p.height, 'jpeg', 1]);
    expect(img.pixels.byteLength).toBe(p.width * p.height * 3);
    expect(img.pixels.byteOffset).toBe(0);
    expect(img.pixels.buffer.byteLength).toBe(img.pixels.byteLength);
  });

  it('accepts base64, url-safe base64 and data: URLs with identical pixels', async () => {
    const bytes = await readFile(fx.people[1]!.file);
    const a = await decodeImage(bytes);
    const b = await decodeImage(bytes.toString('base64'));
    const c = await decodeImage(`data:image/jpeg;base64,${bytes.toString('base64')}`);
    const d = await decodeImage(bytes.toString('base64url'));
    expect(Buffer.compare(a.pixels, b.pixels)).toBe(0);
    expect(Buffer.compare(a.pixels, c.pixels)).toBe(0);
    expect(Buffer.compare(a.pixels, d.pixels)).toBe(0);
    expect(payloadBytes(bytes.toString('base64')).equals(bytes)).toBe(true);
  });

  it('applies the EXIF orientation', async () => {
    const original = await decodeImage(await readFile(fx.people[0]!.file));
    const rotated = await decodeImage(await readFile(variant('exif-rotated')));
    const meta = await sharp(variant('exif-rotated')).metadata();
    expect(meta.orientation).toBe(6);
    expect([meta.width, meta.height]).toEqual([original.height, original.width]); // stored sideways
    expect(rotated.orientation).toBe(6);
    expect([rotated.width, rotated.height]).toEqual([original.width, original.height]); // upright again
    // Upright pixels match the original's (up to JPEG re-encoding): compare mean abs difference.
    let diff = 0;
    for (let i = 0; i < original.pixels.length; i++)
      diff += Math.abs(original.pixels[i]! - rotated.pixels[i]!);
    expect(diff / original.pixels.length).toBeLessThan(6);
  });

  it('flattens alpha onto white', async () => {
    const img = await decodeImage(await readFile(variant('png-alpha')));
    // The transparent 40 px border (stored as black, alpha 0) must come out white.
    expect(Array.from(img.pixels.subarray(0, 3))).toEqual([255, 255, 255]);
    const last = img.pixels.length - 3;
    expect(Array.from(img.pixels.subarray(last, last + 3))).toEqual([255, 255, 255]);
  });

  it('decodes only the first GIF frame', async () => {
    const first = await sharp(await readFile(fx.people[2]!.file))
      .resize(100, 100, { fit: 'fill' })
      .raw()
      .toBuffer();
    const second = await sharp(await readFile(fx.people[3]!.file))
      .resize(100, 100, { fit: 'fill' })
      .raw()
      .toBuffer();
    // Two-frame animated GIF: raw frames stacked vertically, pageHeight = frame height.
    const options: SharpOptions = { raw: { width: 100, height: 200, channels: 3, pageHeight: 100 } };
    const animated = await sharp(Buffer.concat([first, second]), options)
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer();
    expect((await sharp(animated, { pages: -1 }).metadata()).pages).toBe(2);
    const img = await decodeImage(animated);
    expect([img.width, img.height, img.format]).toEqual([100, 100, 'gif']);
    const meanDiff = (ref: Buffer) => {
      let d = 0;
      for (let i = 0; i < ref.length; i++) d += Math.abs(ref[i]! - img.pixels[i]!);
      return d / ref.length;
    };
    expect(meanDiff(first)).toBeLessThan(10); // palette quantisation only
    expect(meanDiff(second)).toBeGreaterThan(meanDiff(first) * 2);
  });

  it('downscales to the working size and reports the scale', async () => {
    const big = await sharp(fx.group.file).jpeg().toBuffer(); // 1920 px wide
    const img = await decodeImage(big, { workingSize: 640 });
    expect(img.width).toBe(640);
    expect(img.originalWidth).toBe(1920);
    expect(img.scale).toBeCloseTo(3, 5);
    const full = await decodeImage(big, { workingSize: 4096 });
    expect([full.width, full.scale]).toEqual([1920, 1]);
  });
});
