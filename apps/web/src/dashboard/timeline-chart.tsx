/**
 * Expression scores over time for one face track, drawn with uPlot (canvas): one line per expression,
 * x in seconds, gaps where the person is not in the frame. The figure has a caption that says what it
 * shows, and the same numbers as a table for keyboard and screen-reader users.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import {
  EXPRESSION_COLOURS,
  EXPRESSION_DASHES,
  EXPRESSIONS,
  percent,
  seconds,
  type TimelineFrame,
  type Track,
} from './video-ui.js';

const HEIGHT = 300;

export interface TrackSeries {
  /** Seconds of every analysed frame. */
  x: number[];
  /** Per expression, the track's score in each frame (null where the track is not in the frame). */
  y: Record<(typeof EXPRESSIONS)[number], (number | null)[]>;
  /** The frames in which the track appears, for the table. */
  rows: { tMs: number; scores: Record<string, number>; dominant: string }[];
}

/** The chart's data for one track, from every frame of the timeline. */
export function trackSeries(frames: TimelineFrame[], trackId: number): TrackSeries {
  const x = frames.map((frame) => frame.tMs / 1000);
  const y = Object.fromEntries(EXPRESSIONS.map((e) => [e, [] as (number | null)[]])) as TrackSeries['y'];
  const rows: TrackSeries['rows'] = [];
  for (const frame of frames) {
    const face = frame.faces.find((f) => f.trackId === trackId);
    for (const e of EXPRESSIONS) y[e].push(face ? (face.expressions?.[e] ?? 0) : null);
    if (face)
      rows.push({
        tMs: frame.tMs,
        scores: Object.fromEntries(EXPRESSIONS.map((e) => [e, face.expressions?.[e] ?? 0])),
        dominant: face.dominantExpression,
      });
  }
  return { x, y, rows };
}

export function ExpressionChart({
  frames,
  track,
  label,
}: {
  frames: TimelineFrame[];
  track: Track;
  /** How the page names the track ("Person 1"). */
  label: string;
}) {
  const series = useMemo(() => trackSeries(frames, track.id), [frames, track.id]);
  const holder = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const [tableOpen, setTableOpen] = useState(false);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    const options: uPlot.Options = {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [
        { label: 'Time (s)', values: (_u, splits) => splits.map((s) => `${s} s`) },
        { label: 'Score', values: (_u, splits) => splits.map((s) => percent(s)), size: 56 },
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} s`) },
        ...EXPRESSIONS.map((e): uPlot.Series => ({
          label: e,
          stroke: EXPRESSION_COLOURS[e],
          width: 2,
          dash: EXPRESSION_DASHES[e],
          spanGaps: false,
          points: { size: 4 },
          value: (_u, v) => (v == null ? '—' : percent(v)),
        })),
      ],
      legend: { live: true },
    };
    const data: uPlot.AlignedData = [series.x, ...EXPRESSIONS.map((e) => series.y[e])];
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);

  const first = series.rows[0]?.tMs ?? track.firstMs;
  const last = series.rows.at(-1)?.tMs ?? track.lastMs;
  const description =
    `${label}: scores of the seven expressions over time, seen from ${seconds(first)} to ${seconds(last)} ` +
    `in ${series.rows.length} analysed frames; mostly ${track.dominantExpression} ` +
    `(${percent(track.dominantShare)} of its frames).`;

  return (
    <figure className="chart" aria-labelledby={captionId} data-track-id={track.id}>
      <figcaption id={captionId}>{description}</figcaption>
      <div
        ref={holder}
        className="chart-canvas"
        role="img"
        aria-label={`Line chart: expression scores of ${label} over time`}
        aria-describedby={captionId}
      />
      <details onToggle={(e) => setTableOpen((e.target as HTMLDetailsElement).open)}>
        <summary>The scores as a table ({series.rows.length} frames)</summary>
        {tableOpen && (
          <div className="table-wrap chart-table">
            <table>
              <caption className="muted small-text">
                {label}: score of each expression per analysed frame (0–100%).
              </caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  {EXPRESSIONS.map((e) => (
                    <th key={e} scope="col">
                      {e}
                    </th>
                  ))}
                  <th scope="col">Dominant</th>
                </tr>
              </thead>
              <tbody>
                {series.rows.map((row) => (
                  <tr key={row.tMs}>
                    <th scope="row">{seconds(row.tMs)}</th>
                    {EXPRESSIONS.map((e) => (
                      <td key={e}>{percent(row.scores[e] ?? 0)}</td>
                    ))}
                    <td>{row.dominant}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </figure>
  );
}
