import { describe, expect, it } from 'vitest';
import { DocumentLocks } from './document-locks.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DocumentLocks', () => {
  describe('run', () => {
    it('runs work on the same key one after another, other keys at once', async () => {
      const locks = new DocumentLocks();
      const log: string[] = [];
      const job = (key: string, name: string) =>
        locks.run(key, async () => {
          log.push(`${name}:start`);
          await tick();
          await tick();
          log.push(`${name}:end`);
        });
      await Promise.all([job('a', 'a1'), job('a', 'a2'), job('b', 'b1')]);
      expect(log.indexOf('a1:end')).toBeLessThan(log.indexOf('a2:start'));
      expect(log.indexOf('b1:start')).toBeLessThan(log.indexOf('a1:end'));
    });
    it('releases the key when the work throws', async () => {
      const locks = new DocumentLocks();
      await expect(locks.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      await expect(locks.run('k', async () => 'next')).resolves.toBe('next');
    });
  });
  describe('runMany', () => {
    it('holds every key for the duration of the work', async () => {
      const locks = new DocumentLocks();
      const log: string[] = [];
      await Promise.all([
        locks.runMany(['y', 'x'], async () => {
          log.push('many:start');
          await tick();
          log.push('many:end');
        }),
        locks.run('x', async () => {
          log.push('x');
        }),
      ]);
      expect(log).toEqual(['many:start', 'many:end', 'x']);
    });
  });
});
