/**
 * Labeled Faces in the Wild, as laid out in ../shared/datasets/lfw-dev: `images/<Name>/<Name>_NNNN.jpg`
 * and `pairs.txt` in LFW's own format (first line `folds<TAB>n`, then per fold n matched pairs
 * `Name i j` followed by n mismatched pairs `Name1 i Name2 j`). Read by the benchmark and the
 * calibration script only; tests never read the dataset.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_LFW_DIR = path.resolve(process.env.LFW_DIR ?? '../shared/datasets/lfw-dev');

export interface LfwImage {
  /** Index in `images` (stable: sorted by name, then number). */
  index: number;
  person: string;
  /** LFW's 1-based image number within the person. */
  number: number;
  file: string;
}

export interface LfwPair {
  a: number;
  b: number;
  same: boolean;
  fold: number;
}

export interface LfwSet {
  dir: string;
  images: LfwImage[];
  /** Every image of a person, by person name. */
  byPerson: Map<string, LfwImage[]>;
  pairs: LfwPair[];
  folds: number;
}

const key = (person: string, n: number) => `${person}#${n}`;

export async function loadLfw(
  dir = DEFAULT_LFW_DIR,
  pairsFile = path.join(dir, 'pairs.txt'),
): Promise<LfwSet> {
  const root = path.join(dir, 'images');
  const people = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const images: LfwImage[] = [];
  const byPerson = new Map<string, LfwImage[]>();
  const byKey = new Map<string, number>();
  for (const person of people) {
    const files = (await readdir(path.join(root, person))).filter((f) => /_\d{4}\.jpg$/i.test(f)).sort();
    const list: LfwImage[] = [];
    for (const f of files) {
      const number = Number(/_(\d{4})\.jpg$/i.exec(f)![1]);
      const image = { index: images.length, person, number, file: path.join(root, person, f) };
      images.push(image);
      list.push(image);
      byKey.set(key(person, number), image.index);
    }
    byPerson.set(person, list);
  }
  const lines = (await readFile(pairsFile, 'utf8')).split(/\r?\n/).filter((l) => l.trim());
  const [folds, perFold] = lines[0]!.split(/\s+/).map(Number) as [number, number];
  const find = (person: string, n: string) => {
    const i = byKey.get(key(person, Number(n)));
    if (i === undefined) throw new Error(`pairs.txt names ${person} ${n}, which is not under ${root}`);
    return i;
  };
  const pairs: LfwPair[] = lines.slice(1).map((line, i) => {
    const f = line.trim().split(/\s+/);
    const fold = Math.floor(i / (2 * perFold));
    if (f.length === 3) return { a: find(f[0]!, f[1]!), b: find(f[0]!, f[2]!), same: true, fold };
    if (f.length === 4) return { a: find(f[0]!, f[1]!), b: find(f[2]!, f[3]!), same: false, fold };
    throw new Error(`pairs.txt line ${i + 2}: ${line}`);
  });
  if (pairs.length !== folds * perFold * 2)
    throw new Error(`pairs.txt: expected ${folds * perFold * 2} pairs`);
  return { dir, images, byPerson, pairs, folds };
}
