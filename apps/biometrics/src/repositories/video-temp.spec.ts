import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepVideoTempDirs, videoTempDir } from './video-temp.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'video-temp-spec-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('video temp dirs', () => {
  it("deletes a dead process's dirs and an earlier incarnation's with our pid, keeps a live neighbour's", async () => {
    const dead = join(root, 'guardian-video-999999-abc');
    const live = join(root, `guardian-video-${process.ppid}-abc`);
    const other = join(root, 'unrelated-999999');
    for (const dir of [dead, live, other]) await mkdir(dir);
    const ours = await videoTempDir(root);
    expect(await sweepVideoTempDirs(root)).toEqual(
      expect.arrayContaining(['guardian-video-999999-abc', ours.split('/').pop()]),
    );
    expect((await readdir(root)).sort()).toEqual([live.split('/').pop(), 'unrelated-999999'].sort());
  });
});
