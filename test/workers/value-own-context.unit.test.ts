// A number judged by a view of its line (one slot's value alone, method=PUT) when the line's own
// context (all its categorical slots together: method, bucket, status, error, agent) has too few
// values to judge: a value that own context has shown is not an outlier. An object store's PUTs
// answer 200 with no body and, now and then, 503 SlowDown with a body of a few hundred bytes;
// judged by method=PUT alone each routine 503 was 80,000× its typical size (batch generator,
// store/s3-gateway: 152 of seeds 201-210's 618 false alarms). The JSON line's categorical fields
// together run past FIELD_PARAMS.maxContext (256 characters), so the own context is kept under its
// hash (contextKey). A 503 with a body on HEAD, which never failed, is still reported.
// Fails on main: every routine 503 of seed 201's store stream was a numeric outlier.
import { describe, expect, it } from 'vitest';
import { generateBatch } from '../../src/tools/eval/generators/batch.js';
import type { ScoreInput } from '../../workers/types.js';
import { contextKey } from '../../workers/detectors/field-numbers.js';
import { runStream } from './helpers.js';

describe('a number its own context has shown', () => {
  it('a long context is kept under its hash', () => {
    const long = 'x'.repeat(300);
    expect(contextKey('method=PUT')).toBe('method=PUT');
    expect(contextKey(long)).toMatch(/^~300:[0-9a-z]+$/);
    expect(contextKey(long)).not.toBe(contextKey(`${'x'.repeat(299)}y`));
  });

  it('a PUT\'s routine 503 with a body is not an outlier; the labelled unusual value is still found (batch seed 201)', () => {
    const set = generateBatch(201);
    const kinds = (set.labels as { kinds?: Record<string, string> }).kinds ?? {};
    const rows = set.events.map((e, i) => ({ e, i })).filter((x) => x.e.stream === 'store/s3-gateway');
    const ev: ScoreInput[] = rows.map((x) => ({ ts: Date.parse(String(x.e.timestamp)), text: String(x.e.data) }));
    const recs = ev.map((e) => JSON.parse(e.text as string) as { method: string; status: number });
    // Unlabelled PUT 503s: the routine SlowDown answers (a retry storm's are labelled).
    const slow = recs.map((r, k) => ({ r, k })).filter((x) => x.r.method === 'PUT' && x.r.status === 503 && kinds[rows[x.k].i] === undefined).map((x) => x.k);
    expect(slow.length).toBeGreaterThan(10);
    const { findings } = runStream('logs', ev, 100);
    const outliers = new Set(findings.filter((f) => f.details?.kind === 'numeric_outlier').map((f) => f.index));
    // The first few are news (their own context has not shown minOwnNumeric values yet); the later ones are not.
    expect(slow.slice(4).filter((k) => outliers.has(k))).toEqual([]);
    const unusual = rows.map((x, k) => ({ x, k })).filter((y) => kinds[y.x.i] === 'unusual_value').map((y) => y.k);
    expect(unusual.length).toBeGreaterThan(0);
    const found = unusual.filter((k) => findings.some((f) => f.index === k && f.detector === 'template_slot'));
    expect(found.length).toBeGreaterThan(0);
  }, 120_000);
});
