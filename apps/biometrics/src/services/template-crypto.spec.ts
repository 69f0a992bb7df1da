import { describe, expect, it } from 'vitest';
import { DomainError } from '@guardian/domain';
import {
  decryptTemplate,
  encryptTemplate,
  generateTemplateKey,
  needsReencryption,
  packEncryptedTemplate,
  parseTemplateKey,
  reencryptTemplate,
  unpackEncryptedTemplate,
} from './template-crypto.js';
import { randomUnitVector, seededRandom } from './matching-testkit.js';

const rand = seededRandom(7);
const key1 = parseTemplateKey(generateTemplateKey(), 'k1');
const key2 = parseTemplateKey(generateTemplateKey(), 'k2');
const binding = { userId: 'user-123', modelId: 'faceapi-1.7.15/facerecognitionnet' };

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.reason;
    throw e;
  }
  return 'no error';
};

describe('template crypto', () => {
  it('round-trips a Float32Array bit for bit', () => {
    const v = randomUnitVector(rand);
    v[3] = -0;
    v[4] = 1e-38;
    const enc = encryptTemplate(v, binding, key1);
    expect(enc.keyId).toBe('k1');
    expect(enc.iv).toHaveLength(12);
    expect(enc.tag).toHaveLength(16);
    expect(enc.ciphertext).toHaveLength(512);
    const back = decryptTemplate(enc, binding, [key2, key1]);
    expect(Buffer.from(back.buffer)).toEqual(Buffer.from(v.buffer));
  });

  it('uses a fresh IV every time', () => {
    const v = randomUnitVector(rand);
    const a = encryptTemplate(v, binding, key1);
    const b = encryptTemplate(v, binding, key1);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('detects tampering with ciphertext, tag or iv', () => {
    const enc = encryptTemplate(randomUnitVector(rand), binding, key1);
    const flip = (b: Buffer, i: number) => {
      const c = Buffer.from(b);
      c[i]! ^= 0x01;
      return c;
    };
    expect(
      reasonOf(() => decryptTemplate({ ...enc, ciphertext: flip(enc.ciphertext, 100) }, binding, key1)),
    ).toBe('TEMPLATE_DECRYPT_FAILED');
    expect(reasonOf(() => decryptTemplate({ ...enc, tag: flip(enc.tag, 0) }, binding, key1))).toBe(
      'TEMPLATE_DECRYPT_FAILED',
    );
    expect(reasonOf(() => decryptTemplate({ ...enc, iv: flip(enc.iv, 11) }, binding, key1))).toBe(
      'TEMPLATE_DECRYPT_FAILED',
    );
    expect(
      reasonOf(() => decryptTemplate({ ...enc, ciphertext: enc.ciphertext.subarray(0, 508) }, binding, key1)),
    ).toBe('TEMPLATE_DECRYPT_FAILED');
  });

  it('fails for another user id or model id (ciphertext moved or relabelled)', () => {
    const enc = encryptTemplate(randomUnitVector(rand), binding, key1);
    expect(reasonOf(() => decryptTemplate(enc, { ...binding, userId: 'user-124' }, key1))).toBe(
      'TEMPLATE_DECRYPT_FAILED',
    );
    expect(reasonOf(() => decryptTemplate(enc, { ...binding, modelId: 'other/v2' }, key1))).toBe(
      'TEMPLATE_DECRYPT_FAILED',
    );
  });

  it('fails with a different key under the same id, and names an unknown key id', () => {
    const enc = encryptTemplate(randomUnitVector(rand), binding, key1);
    const impostorKey = { id: 'k1', key: key2.key };
    expect(reasonOf(() => decryptTemplate(enc, binding, impostorKey))).toBe('TEMPLATE_DECRYPT_FAILED');
    expect(reasonOf(() => decryptTemplate(enc, binding, [key2]))).toBe('TEMPLATE_KEY_UNKNOWN');
  });

  it('rotates keys: re-encrypts with the current key, old ciphertext still readable with the old key', () => {
    const v = randomUnitVector(rand);
    const old = encryptTemplate(v, binding, key1);
    expect(needsReencryption(old, key2)).toBe(true);
    const fresh = reencryptTemplate(old, binding, [key1, key2], key2);
    expect(fresh.keyId).toBe('k2');
    expect(needsReencryption(fresh, key2)).toBe(false);
    expect(decryptTemplate(fresh, binding, key2)).toEqual(v);
    expect(reasonOf(() => decryptTemplate(fresh, binding, key1))).toBe('TEMPLATE_KEY_UNKNOWN');
  });

  it('packs and unpacks the stored form', () => {
    const v = randomUnitVector(rand);
    const enc = encryptTemplate(v, binding, key2);
    const packed = packEncryptedTemplate(enc);
    expect(packed[0]).toBe(1);
    expect(decryptTemplate(unpackEncryptedTemplate(packed), binding, key2)).toEqual(v);
    expect(reasonOf(() => unpackEncryptedTemplate(Buffer.from([2, 0])))).toBe('TEMPLATE_DECRYPT_FAILED');
    expect(reasonOf(() => unpackEncryptedTemplate(packed.subarray(0, 20)))).toBe('TEMPLATE_DECRYPT_FAILED');
  });

  it('parses base64 and base64url keys of exactly 32 bytes and rejects others', () => {
    const raw = Buffer.alloc(32, 0xfb);
    expect(parseTemplateKey(raw.toString('base64'), 'a').key).toEqual(raw);
    expect(parseTemplateKey(raw.toString('base64url'), 'a').key).toEqual(raw);
    expect(reasonOf(() => parseTemplateKey(Buffer.alloc(16).toString('base64'), 'a'))).toBe(
      'BAD_TEMPLATE_KEY',
    );
    expect(reasonOf(() => parseTemplateKey('not base64 !!', 'a'))).toBe('BAD_TEMPLATE_KEY');
    expect(reasonOf(() => parseTemplateKey(raw.toString('base64'), 'bad id'))).toBe('BAD_TEMPLATE_KEY');
    expect(Buffer.from(generateTemplateKey(), 'base64')).toHaveLength(32);
  });
});
