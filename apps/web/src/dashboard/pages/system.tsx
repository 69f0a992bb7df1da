import { api } from '../api.js';
import { useLoad } from '../hooks.js';
import { Badge, Empty, ErrorNote, Loading, Section, statusTone, when } from '../ui.js';

export function SystemPage() {
  const status = useLoad(() => api.admin.systemStatus.query(), []);
  if (status.loading && !status.data) return <Loading what="Checking the services" />;
  if (status.error) return <ErrorNote message={status.error} retry={status.reload} />;
  const { services, inference, consumers, feed, checkedAt } = status.data!;
  return (
    <>
      <Section
        title="Services"
        actions={
          <button className="secondary" onClick={status.reload}>
            Refresh
          </button>
        }
      >
        <div className="tiles">
          {services.map((service) => (
            <div key={service.name} className="tile" data-service={service.name}>
              <strong>{service.name}</strong>
              <Badge tone={statusTone(service.health)}>{service.health}</Badge>
              <span className="muted small-text">{service.address}</span>
            </div>
          ))}
        </div>
        <p className="muted small-text">
          Checked {when(checkedAt)} · live feed holds {feed.rows} login events
        </p>
      </Section>
      <Section title="Face inference">
        {inference ? (
          <dl className="facts">
            <dt>Backend</dt>
            <dd>
              <Badge tone="blue">{inference.inferenceBackend}</Badge>
            </dd>
            <dt>Workers</dt>
            <dd>{inference.inferenceWorkers}</dd>
            <dt>Queue</dt>
            <dd>
              {inference.queued} waiting of {inference.queueCapacity}
            </dd>
            <dt>Model</dt>
            <dd>{inference.modelId}</dd>
            <dt>Indexed faces</dt>
            <dd>
              {inference.indexedTemplates} ({inference.indexMode})
            </dd>
          </dl>
        ) : (
          <Empty>biometrics is not reachable.</Empty>
        )}
      </Section>
      <Section title="Event consumers">
        {consumers.length === 0 ? (
          <Empty>No durable consumers.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Consumer</th>
                  <th>Waiting</th>
                  <th>Being handled</th>
                  <th>Redelivered</th>
                </tr>
              </thead>
              <tbody>
                {consumers.map((c) => (
                  <tr key={c.consumer}>
                    <td>{c.consumer}</td>
                    <td>{c.pending}</td>
                    <td>{c.ackPending}</td>
                    <td>{c.redelivered}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
