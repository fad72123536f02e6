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
  const reload = () => fn().then((data) => set({ data, error: null, loading: false }), (error) => set({ data: null, error, loading: false }));
  useEffect(() => { void reload(); }, deps);
  return { ...state, reload, set: (data) => set({ data, error: null, loading: false }) };
}
export const Err = ({ error }) => (error ? html`<p class="error" role="alert">${error.code ? `${error.code}: ` : ''}${error.message}</p>` : null);
