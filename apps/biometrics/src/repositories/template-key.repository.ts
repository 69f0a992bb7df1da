import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateTemplateKey, parseTemplateKey, type TemplateKey } from '../services/template-crypto.js';

export interface TemplateKeys {
  /** Encrypts new templates. */
  current: TemplateKey;
  /** Current and retired keys (decrypt whatever a record names). */
  all: TemplateKey[];
}

/**
 * The template encryption keys: BIOMETRICS_TEMPLATE_KEY (+ retired keys as JSON {id: base64}); without
 * one, a development key generated once into `devFile` (mode 0600) — `onDevKey` warns about it.
 */
export async function loadTemplateKeys(options: {
  base64?: string | undefined;
  keyId: string;
  retiredJson?: string | undefined;
  devFile: string;
  onDevKey?: (file: string, created: boolean) => void;
}): Promise<TemplateKeys> {
  let current: TemplateKey;
  if (options.base64) {
    current = parseTemplateKey(options.base64, options.keyId);
  } else {
    current = await devKey(options.devFile, options.onDevKey);
  }
  const retired = options.retiredJson
    ? Object.entries(JSON.parse(options.retiredJson) as Record<string, string>).map(([id, b64]) =>
        parseTemplateKey(b64, id),
      )
    : [];
  return { current, all: [current, ...retired.filter((k) => k.id !== current.id)] };
}

async function devKey(
  file: string,
  onDevKey?: (file: string, created: boolean) => void,
): Promise<TemplateKey> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { id: string; key: string };
    onDevKey?.(file, false);
    return parseTemplateKey(stored.key, stored.id);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const stored = { id: 'dev', key: generateTemplateKey() };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(stored), { mode: 0o600 });
  onDevKey?.(file, true);
  return parseTemplateKey(stored.key, stored.id);
}
