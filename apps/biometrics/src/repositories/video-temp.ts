/**
 * Temp directories for video copies (ffprobe and ffmpeg read files). Named with the owning process's
 * pid, so a replica that starts can delete what a killed one left behind (a container restarted in
 * the same pod keeps its /tmp) without touching a live neighbour's.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'guardian-video-';

export const videoTempDir = (dir = tmpdir()) => mkdtemp(join(dir, `${PREFIX}${process.pid}-`));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes the video temp dirs of processes that are gone (or of an earlier process with our pid). */
export async function sweepVideoTempDirs(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(/^guardian-video-(\d+)-/.exec(name)?.[1]);
    if (!pid || (pid !== process.pid && alive(pid))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
