// Helpers the pages share: htm bound to Preact, formatting, loading state, errors, live events.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);
export const enc = encodeURIComponent;
export const fmt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en'));
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

export const liveSubs = new Set();
/** Calls fn with each anomaly pushed by the live feed while the component is mounted. */
export function useLive(fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const f = (a) => ref.current(a);
    liveSubs.add(f);
    return () => liveSubs.delete(f);
  }, []);
}
export function useLoad(fn, deps) {
  const [state, set] = useState({ data: null, error: null, loading: true });
  // Only the latest load is shown: an earlier, slower answer (a reload started before a save)
  // must not overwrite a later one (seen as a new alert rule missing from its list under load).
  const seq = useRef(0);
  const reload = () => {
    const n = ++seq.current;
    return fn().then((data) => { if (n === seq.current) set({ data, error: null, loading: false }); },
      (error) => { if (n === seq.current) set({ data: null, error, loading: false }); });
  };
  useEffect(() => { void reload(); }, deps);
  return { ...state, reload, set: (data) => { seq.current++; set({ data, error: null, loading: false }); } };
}
export const Err = ({ error }) => (error ? html`<p class="error" role="alert">${error.code ? `${error.code}: ` : ''}${error.message}</p>` : null);
