/** The media types Guardian accepts anywhere (photos; identity documents add PDF). */
export type SniffedMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'application/pdf';

/**
 * The media type from the first bytes (magic numbers), never from a file name or a declared type:
 * the one sniffer of the whole upload path (web's edge, biometrics' image intake, identity's
 * documents), so they cannot disagree about what a file is.
 */
export function sniffMediaType(bytes: Uint8Array): SniffedMediaType | undefined {
  const at = (i: number) => bytes[i] ?? -1;
  const ascii = (from: number, text: string) => [...text].every((ch, i) => at(from + i) === ch.charCodeAt(0));
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'image/jpeg';
  if (at(0) === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'image/gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  if (ascii(0, '%PDF-')) return 'application/pdf';
  return undefined;
}
