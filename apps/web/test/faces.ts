import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const DEMO = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Single-face crops of face-api's demo group photo (two different people), built at test time. */
const CROPS = {
  alice: { source: 'sample1.jpg', left: 306, top: 247, width: 393, height: 455 },
  bruno: { source: 'sample1.jpg', left: 736, top: 318, width: 391, height: 433 },
} as const;

export type Person = keyof typeof CROPS;

export async function facePhoto(person: Person): Promise<{ file: string; bytes: Buffer }> {
  const crop = CROPS[person];
  const bytes = await sharp(join(DEMO, crop.source))
    .extract({ left: crop.left, top: crop.top, width: crop.width, height: crop.height })
    .jpeg({ quality: 92 })
    .toBuffer();
  const dir = join(tmpdir(), 'guardian-web-faces');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${person}.jpg`);
  await writeFile(file, bytes);
  return { file, bytes };
}

/** A photo with no face in it (a plain gradient-free grey frame), built at test time. */
export async function photoWithoutFace(): Promise<{ file: string; bytes: Buffer }> {
  const bytes = await sharp({
    create: { width: 320, height: 320, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
  const dir = join(tmpdir(), 'guardian-web-faces');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'no-face.jpg');
  await writeFile(file, bytes);
  return { file, bytes };
}
