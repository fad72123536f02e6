// Shared checks of the labelled sets our generators write (src/tools/eval/generators/): the shape
// every set of a kind must have, whatever its content. Each generator's own test checks the rest.
import { expect } from 'vitest';
import { GENERATORS, type GeneratedSet } from '../../src/tools/eval/generators/index.js';

/**
 * A log set: every kind labelled, each label a line index in order with a kind, lines in time
 * order, no label in the first `warmupMs` of event time (1 s of slack).
 */
export function expectLabelledLogSet({ events, labels }: GeneratedSet, kinds: readonly string[], warmupMs: number): void {
  expect(new Set(Object.values(labels.kinds))).toEqual(new Set(kinds));
  expect(labels.anomalous.length).toBe(Object.keys(labels.kinds).length);
  expect(labels.anomalous.every((i, k) => Number.isInteger(i) && i >= 0 && i < events.length && (k === 0 || i > labels.anomalous[k - 1]))).toBe(true);
  const ts = events.map((e) => Date.parse(e.timestamp));
  expect(ts.every((t, i) => i === 0 || t >= ts[i - 1])).toBe(true);
  expect(Math.min(...labels.anomalous.map((i) => ts[i])) - ts[0]).toBeGreaterThanOrEqual(warmupMs - 1000);
}

/**
 * A prompt set: non-empty llm texts in time order, labels the sorted indices of `kinds`, exactly
 * `streams`, every kind in every stream and none in a stream's first `warmup` texts.
 */
export function expectLabelledPromptSet({ events, labels }: GeneratedSet, streams: readonly string[], kinds: readonly string[], warmup = 200): void {
  expect(events.every((e) => e.stream_type === 'llm' && typeof e.data === 'string' && e.data.length > 0)).toBe(true);
  const ts = events.map((e) => Date.parse(e.timestamp));
  expect(ts.every((t, i) => i === 0 || t >= ts[i - 1])).toBe(true);
  expect(labels.anomalous).toEqual(Object.keys(labels.kinds).map(Number).sort((a, b) => a - b));
  expect(new Set(events.map((e) => e.stream))).toEqual(new Set(streams));
  for (const s of streams) {
    const idx = events.map((e, i) => [e, i] as const).filter(([e]) => e.stream === s).map(([, i]) => i);
    expect(new Set(idx.filter((i) => i in labels.kinds).map((i) => labels.kinds[String(i)]))).toEqual(new Set(kinds));
    expect(idx.slice(0, warmup).some((i) => i in labels.kinds)).toBe(false);
  }
}

/** The indices of the lines labelled `kind`. */
export const idxOf = ({ labels }: GeneratedSet, kind: string): number[] => labels.anomalous.filter((i) => labels.kinds[String(i)] === kind);

/** The texts of the lines labelled `kind`. */
export const ofKind = (set: GeneratedSet, kind: string): string[] => idxOf(set, kind).map((i) => String(set.events[i].data));

/** The texts of the lines with no label. */
export const normalOf = ({ events, labels }: GeneratedSet): string[] => {
  const bad = new Set(labels.anomalous);
  return events.filter((_, i) => !bad.has(i)).map((e) => String(e.data));
};

/** Incidents per kind: maximal runs of consecutive labelled indices of one kind (the eval's rule). */
export const incidents = ({ labels }: GeneratedSet): Record<string, number> => {
  const out: Record<string, number> = {};
  labels.anomalous.forEach((i, k) => {
    const kind = labels.kinds[String(i)];
    if (k === 0 || labels.anomalous[k - 1] !== i - 1 || labels.kinds[String(i - 1)] !== kind) out[kind] = (out[kind] ?? 0) + 1;
  });
  return out;
};

/** The number the first group of `re` reads in a line (NaN: none). */
export const num = (l: string, re: RegExp): number => Number(re.exec(l)?.[1] ?? NaN);

/** A silence label at line `i`: its stream's only gap of more than 5 minutes, at least 11 minutes long, ends at `i`. */
export function expectSilenceAt(set: GeneratedSet, i: number): void {
  const stream = set.events[i].stream;
  const ts = set.events.map((e, k) => [e, k] as const).filter(([e]) => e.stream === stream).map(([e, k]) => [Date.parse(e.timestamp), k] as const);
  const gaps = ts.slice(1).map(([t, k], j) => [t - ts[j][0], k] as const).filter(([g]) => g > 300_000);
  expect(gaps.length).toBe(1);
  expect(gaps[0][0]).toBeGreaterThanOrEqual(11 * 60_000);
  expect(gaps[0][1]).toBe(i);
}

/** A set as bytes: its events, one JSON each, and its labels. */
export const bytes = (set: GeneratedSet): string => set.events.map((e) => JSON.stringify(e)).join('\n') + JSON.stringify(set.labels);

/**
 * A generator registered as `kind` (its description matching `describes`), pure: the same seed
 * gives the same bytes (`short` minutes, and the registered full run), another seed others.
 */
export function expectRegisteredAndPure(kind: string, generate: (seed: number, minutes?: number) => GeneratedSet, short: number, describes: RegExp): void {
  expect(Object.keys(GENERATORS)).toContain(kind);
  const a = bytes(generate(3, short));
  expect(bytes(generate(3, short))).toBe(a);
  expect(bytes(generate(4, short))).not.toBe(a);
  expect(bytes(GENERATORS[kind].generate(11))).toBe(bytes(generate(11)));
  expect(GENERATORS[kind].describe).toMatch(describes);
}

/**
 * A full run of a log generator: between `lines` (exclusive) lines over `hours` (exclusive) of
 * event time, every stream of `streams` and no other, every event a log line of text; returns the
 * normal lines' texts of one stream.
 */
export function expectFullLogRun(full: GeneratedSet, lines: [number, number], hours: [number, number], streams: Record<string, string>): (stream: string) => string[] {
  expect(full.events.length).toBeGreaterThan(lines[0]);
  expect(full.events.length).toBeLessThan(lines[1]);
  const h = (Date.parse(full.events[full.events.length - 1].timestamp) - Date.parse(full.events[0].timestamp)) / 3_600_000;
  expect(h).toBeGreaterThan(hours[0]);
  expect(h).toBeLessThan(hours[1]);
  expect(new Set(full.events.map((e) => e.stream))).toEqual(new Set(Object.values(streams)));
  expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
  return (stream) => full.events.filter((e, i) => e.stream === stream && !(String(i) in full.labels.kinds)).map((e) => String(e.data));
}
