import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api.js';

export interface Loadable<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; keeps loading / error / data for the page. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loadable<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    latest.current().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: describeError(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** The hash route: `#/users/abc` -> ['users', 'abc']. */
export function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onHash = () => setRoute(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

export const navigate = (path: string) => {
  window.location.hash = path;
};

/**
 * Links from outside the dashboard use paths (the notifier's e-mails link to `/videos/<id>`, which
 * the BFF answers with index.html); the dashboard routes by hash: `/videos/abc` -> `/#/videos/abc`.
 */
export function adoptPathRoute(): void {
  const { pathname, search, hash } = window.location;
  if (pathname === '/' || pathname === '' || hash.length > 1) return;
  window.history.replaceState(null, '', `/${search}#${pathname}`);
}
