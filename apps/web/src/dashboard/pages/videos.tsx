import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, describeError } from '../api.js';
import { navigate } from '../hooks.js';
import type { Me } from '../main.js';
import { Empty, ErrorNote, Loading, Section, when } from '../ui.js';
import { uploadVideo, type UploadProgress } from '../upload.js';
import { formatBytes, formatDuration, isFinal, VideoProgress, VideoState, type Video } from '../video-ui.js';

const PAGE_SIZE = 20;
/** How often the list asks again about videos that are still moving. */
const REFRESH_MS = 2_000;
/** At most this many moving videos are refreshed per round (the newest). */
const REFRESH_AT_MOST = 10;

const SAMPLE_RATES = [
  ['', 'Default (2 per second)'],
  ['1', '1 per second'],
  ['4', '4 per second'],
  ['10', '10 per second (slowest)'],
] as const;

function UploadForm({ onCreated }: { onCreated: () => void }) {
  const [file, setFile] = useState<File>();
  const [sampleFps, setSampleFps] = useState('');
  const [progress, setProgress] = useState<UploadProgress>();
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'checking'>('idle');
  const [error, setError] = useState<string>();
  const controller = useRef<AbortController | undefined>(undefined);
  const ids = { file: useId(), rate: useId() };

  // Leaving the page stops the upload (the video is cancelled on the server).
  useEffect(() => () => controller.current?.abort(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return setError('Choose a video file first.');
    if (file.size === 0) return setError('That file is empty.');
    const abort = new AbortController();
    controller.current = abort;
    setError(undefined);
    setPhase('uploading');
    setProgress({ sent: 0, total: file.size });
    try {
      const video = await uploadVideo(file, {
        sampleFps: sampleFps ? Number(sampleFps) : undefined,
        signal: abort.signal,
        onCreated,
        onProgress: (p) => {
          setProgress(p);
          if (p.sent >= p.total) setPhase('checking');
        },
      });
      navigate(`/videos/${encodeURIComponent(video.id)}`);
    } catch (failure) {
      setError(abort.signal.aborted ? 'The upload was cancelled.' : describeError(failure));
      setPhase('idle');
      onCreated(); // the list shows the video's state (failed, cancelled)
    } finally {
      controller.current = undefined;
    }
  };

  const busy = phase !== 'idle';
  const sharePercent = progress && progress.total ? Math.floor((100 * progress.sent) / progress.total) : 0;
  return (
    <form className="upload-form" onSubmit={(e) => void submit(e)} aria-label="Upload a video">
      <div className="grid-form">
        <div className="field">
          <label htmlFor={ids.file}>Video file</label>
          <input
            id={ids.file}
            name="video"
            type="file"
            accept="video/mp4,video/webm,video/quicktime,video/x-matroska,video/x-msvideo,.mp4,.webm,.mov,.mkv,.avi"
            disabled={busy}
            onChange={(e) => {
              setFile(e.target.files?.[0]);
              setError(undefined);
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.rate}>Frames analysed</label>
          <select
            id={ids.rate}
            name="sampleFps"
            value={sampleFps}
            disabled={busy}
            onChange={(e) => setSampleFps(e.target.value)}
          >
            {SAMPLE_RATES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </div>
        <div className="row-actions">
          <button type="submit" disabled={busy || !file}>
            {busy ? 'Uploading…' : 'Upload and analyse'}
          </button>
          {busy && (
            <button type="button" className="secondary" onClick={() => controller.current?.abort()}>
              Cancel upload
            </button>
          )}
        </div>
      </div>
      {busy && progress && (
        <div className="upload-progress">
          <progress max={progress.total} value={progress.sent} aria-label="Upload progress" />
          <p className="small-text" role="status" aria-live="polite" data-phase={phase}>
            {progress.retrying
              ? `The connection dropped. Resuming at ${formatBytes(progress.sent)} (attempt ${progress.retrying.attempt} of ${progress.retrying.of})…`
              : phase === 'checking'
                ? 'Uploaded. Checking the video…'
                : `Uploading… ${formatBytes(progress.sent)} of ${formatBytes(progress.total)} (${sharePercent}%)`}
          </p>
        </div>
      )}
      {error && <ErrorNote message={error} />}
      <p className="muted small-text">
        MP4, WebM, MOV, MKV or AVI. The faces in it are found and their expressions scored; you get an e-mail
        when the analysis ends. An upload that loses its connection resumes where it stopped.
      </p>
    </form>
  );
}

export function VideosPage({ me }: { me: Me }) {
  const admin = me.role !== 'user';
  const [all, setAll] = useState(false);
  const [videos, setVideos] = useState<Video[]>([]);
  const [nextCursor, setNextCursor] = useState('');
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // The first page (again when the toggle changes or after an upload).
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    api.media.list.query({ all: admin && all, pageSize: PAGE_SIZE }).then(
      (page) => {
        if (!live) return;
        setVideos(page.videos);
        setNextCursor(page.nextCursor);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(describeError(failure));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [admin, all, tick]);

  const loadMore = async () => {
    setLoading(true);
    try {
      const page = await api.media.list.query({ all: admin && all, pageSize: PAGE_SIZE, cursor: nextCursor });
      setVideos((current) => [...current, ...page.videos.filter((v) => !current.some((c) => c.id === v.id))]);
      setNextCursor(page.nextCursor);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setLoading(false);
    }
  };

  // Live status: the videos still uploading, queued or being analysed are asked about again.
  const moving = videos
    .filter((v) => !isFinal(v))
    .slice(0, REFRESH_AT_MOST)
    .map((v) => v.id);
  const movingKey = moving.join(',');
  useEffect(() => {
    if (!movingKey) return;
    let live = true;
    const timer = setInterval(() => {
      void Promise.all(
        movingKey.split(',').map((videoId) =>
          api.media.get.query({ videoId }).then(
            ({ video }) => video,
            () => undefined,
          ),
        ),
      ).then((fresh) => {
        if (!live) return;
        const byId = new Map(fresh.filter((v): v is Video => !!v).map((v) => [v.id, v]));
        setVideos((current) => current.map((v) => byId.get(v.id) ?? v));
      });
    }, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [movingKey]);

  return (
    <>
      <Section title="Analyse a video">
        <UploadForm onCreated={reload} />
      </Section>
      <Section
        title={admin && all ? 'All videos' : 'My videos'}
        actions={
          admin && (
            <label className="toggle">
              <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
              All users
            </label>
          )
        }
      >
        {error && <ErrorNote message={error} retry={reload} />}
        {loading && videos.length === 0 && <Loading what="Loading videos" />}
        {!loading && !error && videos.length === 0 && <Empty>No videos yet. Upload one above.</Empty>}
        {videos.length > 0 && (
          <div className="table-wrap">
            <table className="videos">
              <caption className="sr-only">
                {admin && all ? 'Every user’s videos' : 'Your videos'}, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Video</th>
                  {admin && all && <th scope="col">Owner</th>}
                  <th scope="col">State</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Length</th>
                  <th scope="col">Size</th>
                  <th scope="col">Uploaded</th>
                </tr>
              </thead>
              <tbody>
                {videos.map((video) => (
                  <tr key={video.id} data-video-id={video.id} data-state={video.state}>
                    <td>
                      <a href={`#/videos/${encodeURIComponent(video.id)}`}>
                        {video.fileName || 'Untitled video'}
                      </a>
                    </td>
                    {admin && all && (
                      <td className="muted small-text">{video.userId === me.userId ? 'me' : video.userId}</td>
                    )}
                    <td>
                      <VideoState state={video.state} />
                    </td>
                    <td>
                      <VideoProgress video={video} />
                    </td>
                    <td>{formatDuration(video.durationMs)}</td>
                    <td>{formatBytes(video.sizeBytes)}</td>
                    <td className="small-text">{when(video.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {nextCursor && (
          <div className="pager">
            <button className="secondary" disabled={loading} onClick={() => void loadMore()}>
              {loading ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </Section>
    </>
  );
}
