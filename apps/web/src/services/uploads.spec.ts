import { describe, expect, it } from 'vitest';
import { base64Size, readDocument, readImage } from './uploads.js';

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const pdf = Buffer.from('%PDF-1.7\n');

describe('uploads', () => {
  describe('base64Size', () => {
    it('computes the decoded size', () => {
      for (const n of [0, 1, 2, 3, 4, 100]) expect(base64Size(Buffer.alloc(n).toString('base64'))).toBe(n);
    });
  });

  describe('readImage', () => {
    it('accepts base64, a data URL and raw bytes', () => {
      expect(readImage(png.toString('base64'), 1_000)).toEqual(png);
      expect(readImage(`data:image/png;base64,${png.toString('base64')}`, 1_000)).toEqual(png);
      expect(readImage(new Uint8Array(jpeg), 1_000)).toEqual(jpeg);
    });

    it('refuses a file over the limit before decoding it', () => {
      expect(() => readImage(Buffer.alloc(2_000, 1).toString('base64'), 1_000)).toThrow(
        expect.objectContaining({ reason: 'PAYLOAD_TOO_LARGE', kind: 'too_large' }),
      );
    });

    it('refuses what is not an image whatever it claims to be', () => {
      expect(() => readImage(pdf, 1_000)).toThrow(
        expect.objectContaining({ reason: 'UNSUPPORTED_FORMAT', kind: 'unsupported' }),
      );
      expect(() => readImage('not base64 at all!', 1_000)).toThrow(
        expect.objectContaining({ reason: 'INVALID_BASE64' }),
      );
    });
  });

  describe('readDocument', () => {
    it('accepts PDF and images, refuses the rest', () => {
      expect(readDocument(pdf, 1_000).type).toBe('application/pdf');
      expect(() => readDocument(Buffer.from('GIF89a'), 1_000)).toThrow(
        expect.objectContaining({ reason: 'UNSUPPORTED_FORMAT' }),
      );
    });
  });
});
