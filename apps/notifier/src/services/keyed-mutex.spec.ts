import { describe, expect, it } from 'vitest';

import { KeyedMutex } from './keyed-mutex.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  describe('run', () => {
    it('runs tasks of one key in order, never overlapping', async () => {
      const mutex = new KeyedMutex();
      let running = 0;
      let maxRunning = 0;
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          mutex.run('u1', async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await tick();
            order.push(i);
            running--;
          }),
        ),
      );
      expect(maxRunning).toBe(1);
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(mutex.size).toBe(0);
    });

    it('lets different keys run together', async () => {
      const mutex = new KeyedMutex();
      let running = 0;
      let maxRunning = 0;
      await Promise.all(
        ['a', 'b', 'c'].map((key) =>
          mutex.run(key, async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await tick();
            running--;
          }),
        ),
      );
      expect(maxRunning).toBe(3);
    });

    it('keeps going after a task fails', async () => {
      const mutex = new KeyedMutex();
      const failed = mutex.run('u1', async () => {
        throw new Error('boom');
      });
      const next = mutex.run('u1', async () => 'ok');
      await expect(failed).rejects.toThrow('boom');
      await expect(next).resolves.toBe('ok');
    });
  });
});
