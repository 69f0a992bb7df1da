/**
 * Templates at rest: AES-256-GCM with a random 96-bit IV and a 128-bit tag. The associated data binds
 * the ciphertext to the user id, the model id and the key id, so a ciphertext copied onto another user
 * (or relabelled with another model) fails authentication. Keys carry a version id for rotation:
 * decrypt with whichever key the record names, re-encrypt with the current one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '@guardian/domain';

export const TEMPLATE_CIPHER = 'A256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const AAD_PREFIX = 'guardian.biometrics.template.v1';

export interface TemplateKey {
  /** Version id of the key, stored with every ciphertext (e.g. "k2026-11"). */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface EncryptedTemplate {
  alg: typeof TEMPLATE_CIPHER;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export interface TemplateBinding {
  userId: string;
  modelId: string;
}

const KEY_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Parses a base64 (or base64url) key that must decode to exactly 32 bytes. */
export function parseTemplateKey(base64: string, id: string): TemplateKey {
  if (!KEY_ID_RE.test(id))
    throw new DomainError('invalid', 'BAD_TEMPLATE_KEY', 'key id must be 1..64 chars of [A-Za-z0-9._:-]');
  const text = base64.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text))
    throw new DomainError('invalid', 'BAD_TEMPLATE_KEY', 'template key is not base64');
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new DomainError(
      'invalid',
      'BAD_TEMPLATE_KEY',
      `template key must be ${KEY_BYTES} bytes, got ${key.length}`,
    );
  }
  return { id, key };
}

/** A fresh random 32-byte key, base64-encoded (what an operator puts in the environment). */
export const generateTemplateKey = (): string => randomBytes(KEY_BYTES).toString('base64');

function checkKey(k: TemplateKey): void {
  if (k.key.length !== KEY_BYTES)
    throw new DomainError('invalid', 'BAD_TEMPLATE_KEY', `template key must be ${KEY_BYTES} bytes`);
  if (!KEY_ID_RE.test(k.id)) throw new DomainError('invalid', 'BAD_TEMPLATE_KEY', 'bad key id');
}

const aad = (b: TemplateBinding, keyId: string): Buffer =>
  Buffer.from(JSON.stringify([AAD_PREFIX, b.userId, b.modelId, keyId]), 'utf8');

/** Float32 values as little-endian bytes (independent of the host byte order). */
function floatsToBytes(v: Float32Array): Buffer {
  const out = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

function bytesToFloats(b: Buffer): Float32Array {
  if (b.length % 4 !== 0)
    throw new DomainError('unprocessable', 'TEMPLATE_DECRYPT_FAILED', 'template plaintext has a bad length');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

export function encryptTemplate(
  vector: Float32Array,
  binding: TemplateBinding,
  key: TemplateKey,
): EncryptedTemplate {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(binding, key.id));
  const plain = floatsToBytes(vector);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  return { alg: TEMPLATE_CIPHER, keyId: key.id, iv, tag: cipher.getAuthTag(), ciphertext };
}

/**
 * Decrypts with the key named by the record (looked up among `keys`, current and retired).
 * Throws unavailable / TEMPLATE_KEY_UNKNOWN when that key is not configured, and
 * unprocessable / TEMPLATE_DECRYPT_FAILED on any authentication failure (tampering, wrong user or
 * model binding, wrong key).
 */
export function decryptTemplate(
  enc: EncryptedTemplate,
  binding: TemplateBinding,
  keys: TemplateKey | readonly TemplateKey[],
): Float32Array {
  const list = Array.isArray(keys) ? (keys as readonly TemplateKey[]) : [keys as TemplateKey];
  const key = list.find((k) => k.id === enc.keyId);
  if (!key) {
    throw new DomainError(
      'unavailable',
      'TEMPLATE_KEY_UNKNOWN',
      `template key "${enc.keyId}" is not configured`,
      {
        metadata: { keyId: enc.keyId },
      },
    );
  }
  checkKey(key);
  if (enc.alg !== TEMPLATE_CIPHER || enc.iv.length !== IV_BYTES || enc.tag.length !== TAG_BYTES) {
    throw new DomainError('unprocessable', 'TEMPLATE_DECRYPT_FAILED', 'malformed encrypted template');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, enc.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(binding, enc.keyId));
    decipher.setAuthTag(enc.tag);
    const plain = Buffer.concat([decipher.update(enc.ciphertext), decipher.final()]);
    const v = bytesToFloats(plain);
    plain.fill(0);
    return v;
  } catch (cause) {
    if (cause instanceof DomainError) throw cause;
    throw new DomainError(
      'unprocessable',
      'TEMPLATE_DECRYPT_FAILED',
      'encrypted template failed authentication',
      { cause },
    );
  }
}

/** True when the record was encrypted with another key than the current one (rotation pending). */
export const needsReencryption = (enc: Pick<EncryptedTemplate, 'keyId'>, current: TemplateKey): boolean =>
  enc.keyId !== current.id;

/** Decrypts with the record's key and re-encrypts with `current` (key rotation). */
export function reencryptTemplate(
  enc: EncryptedTemplate,
  binding: TemplateBinding,
  keys: readonly TemplateKey[],
  current: TemplateKey,
): EncryptedTemplate {
  const v = decryptTemplate(enc, binding, keys);
  try {
    return encryptTemplate(v, binding, current);
  } finally {
    v.fill(0);
  }
}

/**
 * One self-describing byte string for storage: version(1) | keyIdLength(1) | keyId | iv(12) | tag(16) | ciphertext.
 */
export function packEncryptedTemplate(enc: EncryptedTemplate): Buffer {
  const keyId = Buffer.from(enc.keyId, 'utf8');
  return Buffer.concat([Buffer.from([1, keyId.length]), keyId, enc.iv, enc.tag, enc.ciphertext]);
}

export function unpackEncryptedTemplate(packed: Buffer): EncryptedTemplate {
  const bad = () => new DomainError('unprocessable', 'TEMPLATE_DECRYPT_FAILED', 'malformed packed template');
  if (packed.length < 2 || packed[0] !== 1) throw bad();
  const idLen = packed[1]!;
  const start = 2 + idLen;
  if (packed.length < start + IV_BYTES + TAG_BYTES) throw bad();
  return {
    alg: TEMPLATE_CIPHER,
    keyId: packed.subarray(2, start).toString('utf8'),
    iv: Buffer.from(packed.subarray(start, start + IV_BYTES)),
    tag: Buffer.from(packed.subarray(start + IV_BYTES, start + IV_BYTES + TAG_BYTES)),
    ciphertext: Buffer.from(packed.subarray(start + IV_BYTES + TAG_BYTES)),
  };
}
