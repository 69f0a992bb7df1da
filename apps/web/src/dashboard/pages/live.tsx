import { useEffect, useState } from 'react';
import { api, type RouterOutputs } from '../api.js';
import { Badge, Empty, Section, statusTone, when } from '../ui.js';

type Row = RouterOutputs['admin']['loginAttempts']['attempts'][number];

export function LivePage() {
  const [rows, setRows] = useState<Row[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  useEffect(() => {
    const subscription = api.admin.liveEvents.subscribe(undefined, {
      onStarted: () => setState('live'),
      onData: (event) =>
        setRows((current) =>
          current.some((r) => r.seq === event.data.seq) ? current : [event.data, ...current].slice(0, 200),
        ),
      onError: () => setState('reconnecting'),
      onConnectionStateChange: (change) =>
        setState(
          change.state === 'pending' ? 'live' : change.state === 'connecting' ? 'connecting' : 'reconnecting',
        ),
    });
    return () => subscription.unsubscribe();
  }, []);
  return (
    <Section
      title="Live login attempts"
      actions={
        <span className="live-state" data-state={state}>
          <span className="dot" /> {state}
        </span>
      }
    >
      {rows.length === 0 ? (
        <Empty>
          {state === 'live'
            ? 'Waiting for login attempts… New ones appear here as they happen.'
            : 'Connecting to the live feed…'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="live">
            <thead>
              <tr>
                <th>When</th>
                <th>Outcome</th>
                <th>Account</th>
                <th>Method</th>
                <th>IP</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.seq} data-identifier={row.identifier} data-outcome={row.outcome}>
                  <td>{when(row.at)}</td>
                  <td>
                    <Badge tone={statusTone(row.outcome)}>{row.outcome}</Badge>
                  </td>
                  <td>
                    {row.userId ? (
                      <a href={`#/users/${row.userId}`}>{row.identifier || row.userId}</a>
                    ) : (
                      row.identifier
                    )}
                  </td>
                  <td>{row.method}</td>
                  <td>{row.ip}</td>
                  <td className="muted">
                    {row.reason}
                    {row.attemptCount > 0 && ` · attempt ${row.attemptCount}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
