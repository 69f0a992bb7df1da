import { testLogger, testServers, uniqueId } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  closeMongo,
  connectMongo,
  ThrottleWindows,
  throttleWindowModel,
  type Connection,
} from '../src/index.js';

describe('ThrottleWindows (real FerretDB/MongoDB)', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectMongo({
      url: testServers().mongoUrl,
      dbName: uniqueId('windows'),
      logger: testLogger('windows'),
    });
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await closeMongo(connection);
  });

  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

  it('loses no concurrent append, keeps the newest `keep` and reads newest first by outcome and time', async () => {
    const windows = new ThrottleWindows<'success' | 'failure'>(throttleWindowModel(connection), 10);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        windows.append('ip:192.0.2.1', { at: at(i), outcome: i === 5 ? 'success' : 'failure' }),
      ),
    );
    const all = await windows.read('ip:192.0.2.1', at(0), 100, ['success', 'failure']);
    expect(all.map((e) => e.at.getUTCSeconds())).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    const failures = await windows.read('ip:192.0.2.1', at(6), 2, ['failure']);
    expect(failures.map((e) => e.at.getUTCSeconds())).toEqual([11, 10]);
    expect(await windows.read('ip:unknown', at(0), 10, ['failure'])).toEqual([]);
  });

  it('keeps concurrent appends of two replicas (separate lock sets) by compare-and-set', async () => {
    const model = throttleWindowModel(connection);
    const [a, b] = [new ThrottleWindows(model, 100), new ThrottleWindows(model, 100)];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).append('user:u1', { at: at(i), outcome: 'failure' }),
      ),
    );
    expect(await a.read('user:u1', at(0), 100, ['failure'])).toHaveLength(19);
  });

  it('counts an attempt: successes and failures for the subject, failures only for the IP, nothing else', async () => {
    const windows = new ThrottleWindows<'success' | 'failure' | 'blocked'>(throttleWindowModel(connection));
    await windows.countAttempt('account:a', 'ip:198.51.100.9', { at: at(1), outcome: 'failure' });
    await windows.countAttempt('account:a', 'ip:198.51.100.9', { at: at(2), outcome: 'success' });
    await windows.countAttempt('account:a', 'ip:198.51.100.9', { at: at(3), outcome: 'blocked' });
    await windows.countAttempt(undefined, 'ip:198.51.100.9', { at: at(4), outcome: 'failure' });
    const all = ['success', 'failure', 'blocked'] as const;
    expect((await windows.read('account:a', at(0), 10, all)).map((e) => e.outcome)).toEqual([
      'success',
      'failure',
    ]);
    expect((await windows.read('ip:198.51.100.9', at(0), 10, all)).map((e) => e.at.getUTCSeconds())).toEqual([
      4, 1,
    ]);
  });

  it('reserves attempts atomically: of 40 parallel attempts on two replicas only those the window admits go ahead', async () => {
    const model = throttleWindowModel(connection);
    const [a, b] = [
      new ThrottleWindows<'success' | 'failure'>(model),
      new ThrottleWindows<'success' | 'failure'>(model),
    ];
    const check = (max: number) => ({
      since: at(0),
      limit: 100,
      outcomes: ['success', 'failure'] as const,
      admits: (records: { outcome: string }[]) => records.filter((r) => r.outcome === 'failure').length < max,
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).reserveAttempt('account:race', 'ip:203.0.113.7', at(i + 1), {
          subject: check(3),
          ip: check(100),
        }),
      ),
    );
    expect(results.filter((r) => r.admitted)).toHaveLength(3);
    expect(results.filter((r) => !r.admitted).every((r) => !r.admitted && r.refusedBy === 'subject')).toBe(
      true,
    );
    expect(await a.read('account:race', at(0), 100, ['failure'])).toHaveLength(3);
    expect(await a.read('ip:203.0.113.7', at(0), 100, ['failure'])).toHaveLength(3);
  });

  it('settles a reservation: a success replaces the failure (subject) and leaves the IP, uncounted drops both, an IP refusal takes the subject entry back', async () => {
    const windows = new ThrottleWindows<'success' | 'failure'>(throttleWindowModel(connection));
    const open = { since: at(0), limit: 100, outcomes: ['success', 'failure'] as const, admits: () => true };
    const shut = { ...open, admits: () => false };
    const all = ['success', 'failure'] as const;
    const first = await windows.reserveAttempt('account:s', 'ip:192.0.2.50', at(1), {
      subject: open,
      ip: open,
    });
    if (!first.admitted) throw new Error('expected admitted');
    expect(first.subject).toEqual([]);
    await first.settle('success');
    expect((await windows.read('account:s', at(0), 10, all)).map((e) => e.outcome)).toEqual(['success']);
    expect(await windows.read('ip:192.0.2.50', at(0), 10, all)).toEqual([]);

    const second = await windows.reserveAttempt('account:s', 'ip:192.0.2.50', at(2), {
      subject: open,
      ip: open,
    });
    if (!second.admitted) throw new Error('expected admitted');
    expect(second.subject.map((e) => e.outcome)).toEqual(['success']);
    await second.settle('uncounted');
    expect(await windows.read('account:s', at(0), 10, all)).toHaveLength(1);

    const refused = await windows.reserveAttempt('account:s', 'ip:192.0.2.50', at(3), {
      subject: open,
      ip: shut,
    });
    expect(refused).toMatchObject({ admitted: false, refusedBy: 'ip' });
    expect(await windows.read('account:s', at(0), 10, all)).toHaveLength(1);

    const kept = await windows.reserveAttempt('account:s', 'ip:192.0.2.50', at(4), {
      subject: open,
      ip: open,
    });
    if (!kept.admitted) throw new Error('expected admitted');
    await kept.settle('failure');
    expect((await windows.read('account:s', at(0), 10, all)).map((e) => e.outcome)).toEqual([
      'failure',
      'success',
    ]);
    expect(await windows.read('ip:192.0.2.50', at(0), 10, all)).toHaveLength(1);
  });

  it('prunes windows untouched since a time', async () => {
    const windows = new ThrottleWindows(throttleWindowModel(connection));
    await windows.append('user:old', { at: at(1), outcome: 'failure' });
    await windows.prune(new Date(Date.now() + 1_000));
    expect(await windows.read('user:old', at(0), 10, ['failure'])).toEqual([]);
  });
});
