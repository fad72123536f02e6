// The k8s generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at, streams of very different rates and formats.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { generateK8s, K8S_KINDS, NEW_CURRENCIES, NEW_REGIONS, NEW_WAREHOUSES } from '../../src/tools/eval/generators/k8s.js';
import { expectLabelledLogSet } from './helpers.js';

const SHORT = 12; // minutes: enough for every kind (the warm-up is 5), fast in a unit test

describe('eval generate --kind k8s', () => {
  it('is registered and deterministic per seed', () => {
    expect(Object.keys(GENERATORS)).toContain('k8s');
    const a = JSON.stringify(generateK8s(3, SHORT));
    expect(JSON.stringify(generateK8s(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateK8s(4, SHORT))).not.toBe(a);
    expect(GENERATORS.k8s.describe).toMatch(/Kubernetes/);
  });

  it('labels every kind; labels point at lines in time order and every label has a kind', () => {
    for (const seed of [1, 2]) {
      // No incident in the 5-minute warm-up.
      expectLabelledLogSet(generateK8s(seed, SHORT), K8S_KINDS, 300_000);
    }
  });

  it('the labelled lines hold what their kind says', () => {
    const { events, labels } = generateK8s(6, SHORT);
    const of = (kind: string): typeof events => labels.anomalous.filter((i) => labels.kinds[String(i)] === kind).map((i) => events[i]);
    for (const e of of('meta_unseen_category')) expect([...NEW_REGIONS, ...NEW_WAREHOUSES]).toContain(e.metadata?.region ?? e.metadata?.warehouse);
    for (const e of of('meta_unusual_value')) expect(Number(e.metadata?.status_code) >= 500 || Number(e.metadata?.latency_ms) >= 1000).toBe(true);
    for (const e of of('unseen_category')) expect(NEW_CURRENCIES.some((c) => String(e.data).includes(c))).toBe(true);
    for (const e of of('retry_storm')) expect(String(e.data)).toContain('retrying inventory reservation');
    const rare = of('rare_error');
    expect(rare.length).toBeGreaterThanOrEqual(97);
    expect(new Set(rare.map((e) => String(e.data).replace(/ts=\S+|txn=\S+|psp=\S+|warehouse=\S+/g, ''))).size).toBe(1);
    // Normal lines never carry the incidents' values.
    const bad = new Set(labels.anomalous);
    const normal = events.filter((_, i) => !bad.has(i));
    expect(normal.some((e) => NEW_CURRENCIES.some((c) => String(e.data).includes(`currency=${c}`) || String(e.data).includes(`"currency":"${c}"`)))).toBe(false);
    expect(normal.some((e) => NEW_REGIONS.includes(String(e.metadata?.region)) || Number(e.metadata?.status_code) >= 500)).toBe(false);
  });

  it('five formats at very different rates, status and latency in metadata, benign novelty on normal lines', () => {
    const { events, labels } = generateK8s(9, SHORT);
    const count = new Map<string, number>();
    for (const e of events) count.set(e.stream, (count.get(e.stream) ?? 0) + 1);
    expect([...count.keys()].sort()).toEqual(['ingress-nginx/controller-0', 'ingress-nginx/controller-1', 'platform/scheduler', 'shop/checkout', 'shop/inventory', 'shop/payments']);
    expect((count.get('ingress-nginx/controller-0') ?? 0) / (count.get('platform/scheduler') ?? 1)).toBeGreaterThan(50);
    expect(events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const bad = new Set(labels.anomalous);
    const normal = events.filter((_, i) => !bad.has(i));
    const text = (stream: string): string[] => normal.filter((e) => e.stream === stream).map((e) => String(e.data));
    expect(text('shop/checkout').every((l) => typeof JSON.parse(l) === 'object')).toBe(true);
    expect(text('shop/payments').every((l) => /^ts=\S+ level=\w+ msg="/.test(l))).toBe(true);
    expect(text('ingress-nginx/controller-0').filter((l) => / HTTP\/[\d.]+" \d{3} \d+ /.test(l)).length).toBeGreaterThan(text('ingress-nginx/controller-0').length * 0.95);
    expect(normal.filter((e) => e.stream === 'shop/payments').every((e) => typeof e.metadata?.status_code === 'number' && typeof e.metadata.latency_ms === 'number')).toBe(true);
    const checkout = text('shop/checkout');
    expect(new Set(checkout).size).toBe(checkout.length);
  });
});
