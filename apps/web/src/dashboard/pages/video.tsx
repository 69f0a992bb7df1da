import { lazy, Suspense, useEffect, useId, useRef, useState } from 'react';
import { api, describeError, describeReason } from '../api.js';
import { navigate } from '../hooks.js';
import type { Me } from '../main.js';
import { Empty, ErrorNote, Loading, Section, when } from '../ui.js';
import {
  EXPRESSION_COLOURS,
  EXPRESSIONS,
  formatBytes,
  formatDuration,
  isFinal,
  percent,
  seconds,
  VideoProgress,
  VideoState,
  containerName,
  type TimelineFrame,
  type Track,
  type Video,
} from '../video-ui.js';

/** The chart (uPlot) is loaded with the first result page that needs it. */
const ExpressionChart = lazy(() =>
  import('../timeline-chart.js').then((module) => ({ default: module.ExpressionChart })),
);

/** Frames per timeline page (the API's maximum). */
const TIMELINE_PAGE = 500;
/** How often the page asks again when live updates (SSE) are not available. */
const POLL_MS = 2_000;

/**
 * The video, kept current: read once, then followed through `media.progress` (server-sent events)
 * until it ends; if the stream fails, by asking again every 2 s.
 */
function useLiveVideo(videoId: string) {
  const [video, setVideo] = useState<Video>();
  const [error, setError] = useState<string>();
  const [feed, setFeed] = useState<'idle' | 'live' | 'polling'>('idle');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    let unsubscribe: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setError(undefined);

    const poll = () => {
      timer = setTimeout(() => {
        api.media.get.query({ videoId }).then(
          ({ video: fresh }) => {
            if (!live) return;
            setVideo(fresh);
            if (isFinal(fresh)) setFeed('idle');
            else poll();
          },
          () => live && poll(),
        );
      }, POLL_MS);
    };

    api.media.get.query({ videoId }).then(
      ({ video: first }) => {
        if (!live) return;
        setVideo(first);
        if (isFinal(first)) return;
        const subscription = api.media.progress.subscribe(
          { videoId },
          {
            onStarted: () => live && setFeed('live'),
            onData: ({ video: fresh }) => live && setVideo(fresh),
            onError: () => {
              if (!live) return;
              setFeed('polling');
              poll();
            },
            onComplete: () => live && setFeed('idle'),
          },
        );
        unsubscribe = () => subscription.unsubscribe();
      },
      (failure: unknown) => live && setError(describeError(failure)),
    );
    return () => {
      live = false;
      unsubscribe?.();
      clearTimeout(timer);
    };
  }, [videoId, tick]);

  return { video, setVideo, error, feed, reload: () => setTick((t) => t + 1) };
}

interface Timeline {
  frames: TimelineFrame[];
  complete: boolean;
  framesStored: number;
  framesTotal: number;
}

/** Every page of the timeline (following `nextCursor`), once the analysis is done. */
function useTimeline(videoId: string, ready: boolean) {
  const [timeline, setTimeline] = useState<Timeline>();
  const [loaded, setLoaded] = useState(0);
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!ready) return;
    let live = true;
    setError(undefined);
    setLoaded(0);
    void (async () => {
      const frames: TimelineFrame[] = [];
      let cursor = '';
      for (;;) {
        const page = await api.media.timeline.query({ videoId, cursor, pageSize: TIMELINE_PAGE });
        if (!live) return;
        frames.push(...page.frames);
        setLoaded(frames.length);
        const done = page.complete || !page.nextCursor || page.frames.length === 0;
        if (done)
          return setTimeline({
            frames,
            complete: page.complete,
            framesStored: Math.max(page.framesStored, frames.length),
            framesTotal: page.framesTotal,
          });
        cursor = page.nextCursor;
      }
    })().catch((failure: unknown) => live && setError(describeError(failure)));
    return () => {
      live = false;
    };
  }, [videoId, ready, tick]);

  return { timeline, loaded, error, reload: () => setTick((t) => t + 1) };
}

function Summary({ video }: { video: Video }) {
  const summary = video.summary;
  if (!summary) return <Empty>There is no summary for this video.</Empty>;
  const distribution = summary.distribution;
  return (
    <div className="two-columns">
      <dl className="facts summary-facts" data-testid="video-summary">
        <dt>Dominant expression</dt>
        <dd data-summary="dominant">{summary.people ? summary.dominantExpression : '—'}</dd>
        <dt>People</dt>
        <dd data-summary="people">{summary.people}</dd>
        <dt>Without a face</dt>
        <dd data-summary="without-face">{summary.secondsWithoutFace.toFixed(1)} s</dd>
        <dt>Frames analysed</dt>
        <dd data-summary="frames">{summary.framesAnalyzed}</dd>
      </dl>
      <div>
        <h3 id="distribution-title">Expressions across all faces</h3>
        {distribution && summary.people > 0 ? (
          <table className="distribution" aria-labelledby="distribution-title">
            <thead>
              <tr>
                <th scope="col">Expression</th>
                <th scope="col">Share of face frames</th>
              </tr>
            </thead>
            <tbody>
              {EXPRESSIONS.map((e) => (
                <tr key={e} data-expression={e}>
                  <th scope="row">{e}</th>
                  <td>
                    <span className="bar-cell">
                      <span className="bar" aria-hidden="true">
                        <span
                          style={{ width: percent(distribution[e]), background: EXPRESSION_COLOURS[e] }}
                        />
                      </span>
                      {percent(distribution[e])}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>No face was seen, so there are no expressions.</Empty>
        )}
      </div>
    </div>
  );
}

function TrackCard({
  track,
  label,
  selected,
  onShow,
}: {
  track: Track;
  label: string;
  selected: boolean;
  onShow: () => void;
}) {
  return (
    <article className={selected ? 'track selected' : 'track'} data-track-id={track.id} aria-label={label}>
      {track.thumbnailJpeg ? (
        <img
          className="track-face"
          src={`data:image/jpeg;base64,${track.thumbnailJpeg}`}
          alt={`${label}, best frame at ${seconds(track.bestFrameMs)}`}
          width={96}
          height={96}
        />
      ) : (
        <div className="track-face placeholder" aria-hidden="true" />
      )}
      <div className="track-facts">
        <h3>{label}</h3>
        <p>
          Mostly <strong>{track.dominantExpression}</strong>{' '}
          <span className="muted">({percent(track.dominantShare)} of frames)</span>
        </p>
        <p className="muted small-text">
          {seconds(track.firstMs)} – {seconds(track.lastMs)} · {track.frames} frames
        </p>
        <button
          type="button"
          className="small secondary"
          aria-pressed={selected}
          onClick={onShow}
          aria-label={`Show ${label} on the chart`}
        >
          {selected ? 'On the chart' : 'Show on the chart'}
        </button>
      </div>
    </article>
  );
}

function TimelineSection({ video, tracks }: { video: Video; tracks: { track: Track; label: string }[] }) {
  const { timeline, loaded, error, reload } = useTimeline(video.id, video.state === 'done');
  const [selected, setSelected] = useState<number | undefined>(tracks[0]?.track.id);
  const chartSection = useRef<HTMLDivElement>(null);
  const selectId = useId();
  const current = tracks.find((t) => t.track.id === selected) ?? tracks[0];

  const show = (trackId: number) => {
    setSelected(trackId);
    chartSection.current?.scrollIntoView({ block: 'nearest' });
  };

  return (
    <>
      <Section title={`People (${tracks.length})`}>
        {tracks.length === 0 ? (
          <Empty>No face was found in this video.</Empty>
        ) : (
          <div className="tracks">
            {tracks.map(({ track, label }) => (
              <TrackCard
                key={track.id}
                track={track}
                label={label}
                selected={current?.track.id === track.id}
                onShow={() => show(track.id)}
              />
            ))}
          </div>
        )}
      </Section>
      {tracks.length > 0 && (
        <Section
          title="Expressions over time"
          actions={
            <span className="inline-field">
              <label htmlFor={selectId}>Person</label>
              <select
                id={selectId}
                value={current?.track.id}
                onChange={(e) => setSelected(Number(e.target.value))}
              >
                {tracks.map(({ track, label }) => (
                  <option key={track.id} value={track.id}>
                    {label} ({seconds(track.firstMs)} – {seconds(track.lastMs)})
                  </option>
                ))}
              </select>
            </span>
          }
        >
          <div ref={chartSection}>
            {error && <ErrorNote message={error} retry={reload} />}
            {!timeline && !error && (
              <Loading
                what={`Loading the timeline (${loaded}${video.summary ? ` of ${video.summary.framesAnalyzed}` : ''} frames)`}
              />
            )}
            {timeline && !timeline.complete && (
              <p className="warning" role="alert">
                Only {timeline.frames.length}
                {timeline.framesTotal ? ` of ${timeline.framesTotal}` : ''} frames of the timeline could be
                read: the chart is incomplete.{' '}
                <button className="link" onClick={reload}>
                  Read it again
                </button>
              </p>
            )}
            {timeline && current && (
              <Suspense fallback={<Loading what="Loading the chart" />}>
                <ExpressionChart frames={timeline.frames} track={current.track} label={current.label} />
              </Suspense>
            )}
          </div>
        </Section>
      )}
    </>
  );
}

export function VideoPage({ videoId: rawId, me }: { videoId: string; me: Me }) {
  const videoId = decodeURIComponent(rawId);
  const { video, setVideo, error, feed, reload } = useLiveVideo(videoId);
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (error)
    return (
      <Section title="Video">
        <ErrorNote message={error} retry={reload} />
        <p>
          <a href="#/videos">Back to the videos</a>
        </p>
      </Section>
    );
  if (!video) return <Loading what="Loading the video" />;

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
    } catch (failure) {
      setActionError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  const name = video.fileName || 'Untitled video';
  const cancel = () =>
    window.confirm(`Stop ${video.state === 'uploading' ? 'the upload' : 'the analysis'} of ${name}?`) &&
    void act(async () => setVideo((await api.media.cancel.mutate({ videoId })).video));
  const remove = () =>
    window.confirm(`Delete ${name} and its results? This cannot be undone.`) &&
    void act(async () => {
      await api.media.delete.mutate({ videoId });
      navigate('/videos');
    });

  const tracks = [...video.tracks]
    .sort((a, b) => a.firstMs - b.firstMs || a.id - b.id)
    .map((track, i) => ({ track, label: `Person ${i + 1}` }));

  return (
    <>
      <p>
        <a href="#/videos">← Videos</a>
      </p>
      <Section
        title={name}
        actions={
          <div className="row-actions">
            {!isFinal(video) && (
              <button className="secondary" disabled={busy} onClick={cancel}>
                Cancel
              </button>
            )}
            <button className="danger" disabled={busy} onClick={remove}>
              Delete
            </button>
          </div>
        }
      >
        {actionError && <ErrorNote message={actionError} />}
        <dl className="facts" data-video-state={video.state} aria-live="polite">
          <dt>State</dt>
          <dd>
            <VideoState state={video.state} />
            {!isFinal(video) && (
              <span className="live-state" data-state={feed === 'live' ? 'live' : 'idle'}>
                <span className="dot" />{' '}
                {feed === 'live' ? 'live' : feed === 'polling' ? 'checking every 2 s' : 'connecting'}
              </span>
            )}
          </dd>
          {!isFinal(video) && (
            <>
              <dt>Progress</dt>
              <dd>
                <VideoProgress video={video} />
                {video.progress && video.progress.framesTotal > 0 && (
                  <span className="muted small-text">
                    {' '}
                    · {video.progress.framesDone} of {video.progress.framesTotal} frames
                  </span>
                )}
              </dd>
            </>
          )}
          {video.userId !== me.userId && (
            <>
              <dt>Owner</dt>
              <dd>{video.userId}</dd>
            </>
          )}
          <dt>Length</dt>
          <dd>{formatDuration(video.durationMs)}</dd>
          <dt>Size</dt>
          <dd>{formatBytes(video.sizeBytes)}</dd>
          {video.width > 0 && (
            <>
              <dt>Picture</dt>
              <dd>
                {video.width} × {video.height}
                {video.container ? ` · ${containerName(video.container)}` : ''}
              </dd>
            </>
          )}
          <dt>Analysed</dt>
          <dd>{video.sampleFps ? `${video.sampleFps} frames per second` : '—'}</dd>
          <dt>Uploaded</dt>
          <dd>{when(video.createdAt)}</dd>
          {video.finishedAt && (
            <>
              <dt>Finished</dt>
              <dd>{when(video.finishedAt)}</dd>
            </>
          )}
        </dl>
        {video.state === 'failed' && (
          <ErrorNote
            message={`The analysis failed: ${describeReason(video.failureReason || 'ANALYSIS_FAILED')}`}
          />
        )}
        {video.state === 'cancelled' && (
          <p className="muted" role="status">
            This video was cancelled.
          </p>
        )}
      </Section>
      {video.state === 'done' && (
        <>
          <Section title="Summary">
            <Summary video={video} />
          </Section>
          <TimelineSection key={video.id} video={video} tracks={tracks} />
        </>
      )}
    </>
  );
}
