// The svc generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at, six formats at very different rates, normal 5xx only on the routes that
// fail normally.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { CURRENCIES, generateSvc, NEW_CURRENCIES, NEW_PLANS, NEW_SSH_USERS, PLANS, SSH_USERS, SVC_KINDS } from '../../src/tools/eval/generators/svc.js';
import { MESH_ROUTES, QUIET_ROUTES } from '../../src/tools/eval/generators/svc-lines.js';
import { expectLabelledLogSet } from './helpers.js';

const SHORT = 22; // minutes: enough for every kind (the warm-up is 6), fast in a unit test
type Gen = ReturnType<typeof generateSvc>;
const normalOf = ({ events, labels }: Gen): Gen['events'] => { const bad = new Set(labels.anomalous); return events.filter((_, i) => !bad.has(i)); };
const ofKind = ({ events, labels }: Gen, kind: string): Gen['events'] => labels.anomalous.filter((i) => labels.kinds[String(i)] === kind).map((i) => events[i]);
/** An Envoy line's path and status. */
const envoy = (line: string): { path: string; status: number } | undefined => {
  const m = /^\[\S+\] "\w+ (\S+) HTTP\/[\d.]+" (\d{3}) /.exec(line);
  return m === null ? undefined : { path: m[1], status: Number(m[2]) };
};
const routeOf = (path: string): string => path.replace(/\?.*$/, '').replace(/\/(SKU-\d+|\d+|[0-9a-f]{8}-[0-9a-f]{4})$/, '/:id');
const routesOf = (routes: typeof MESH_ROUTES): Set<string> => new Set(routes.map((x) => routeOf(x.path({ next: () => 0.5, int: (a: number) => a, pick: <T>(xs: readonly T[]) => xs[0], chance: () => false, exp: () => 1, hex: (n: number) => 'a'.repeat(n) }))));

describe('eval generate --kind svc', () => {
  it('is registered and deterministic per seed', () => {
    expect(Object.keys(GENERATORS)).toContain('svc');
    const a = JSON.stringify(generateSvc(3, SHORT));
    expect(JSON.stringify(generateSvc(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateSvc(4, SHORT))).not.toBe(a);
    expect(GENERATORS.svc.describe).toMatch(/service mesh/);
  });

  it('labels every kind; labels point at lines in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) {
      expectLabelledLogSet(generateSvc(seed, SHORT), SVC_KINDS, 360_000);
    }
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6]) {
      const set = generateSvc(seed, SHORT);
      const normal = normalOf(set).map((e) => String(e.data));
      const newValue = (l: string): boolean => NEW_CURRENCIES.some((c) => l.includes(` ${c} plan=`)) || NEW_PLANS.some((p) => l.includes(`plan=${p} `)) || NEW_SSH_USERS.some((u) => l.includes(`publickey for ${u} `));
      for (const e of ofKind(set, 'unseen_category')) expect(newValue(String(e.data))).toBe(true);
      expect(normal.some(newValue)).toBe(false);
      for (const e of ofKind(set, 'retry_storm')) expect(String(e.data)).toMatch(/Retrying reserveStock|could not serialize access|STATEMENT: {2}UPDATE inventory/);
      const rare = ofKind(set, 'rare_error');
      expect(rare.length).toBeGreaterThanOrEqual(100 + 9);
      expect(new Set(rare.map((e) => String(e.data).replace(/^.*?(ERROR: |STATEMENT: | : )/, '$1').replace(/order \d+ psp=\w+/, ''))).size).toBeLessThanOrEqual(2);
      // A new error's text (digits aside) is never on a normal line.
      const shape = (l: string): string => l.replace(/^.*? (ERROR|PANIC|DETAIL|kernel|#) /, '$1').replace(/\d+/g, '0');
      const normalShapes = new Set(normal.map(shape));
      const heads = ofKind(set, 'new_error').map((e) => String(e.data)).filter((l) => !l.startsWith('\tat '));
      expect(heads.length).toBeGreaterThanOrEqual(3);
      for (const l of heads) expect(normalShapes.has(shape(l))).toBe(false);
      for (const e of ofKind(set, 'unusual_value')) {
        const l = String(e.data);
        const v = envoy(l);
        const slow = /duration: (\d+\.\d+) ms/.exec(l) ?? / 0\/0\/\d\/(\d+)\//.exec(l) ?? / via_upstream - "-" \d+ \d+ (\d+) /.exec(l);
        expect(l.startsWith('\t') || l.includes('DETAIL:') || (v !== undefined && v.status >= 500) || Number(slow?.[1]) >= 15).toBe(true);
      }
    }
  });

  it('normal 5xx only on the routes that fail normally; the quiet routes and normal values stay known', () => {
    const set = generateSvc(8, SHORT);
    const normal = normalOf(set).map((e) => String(e.data));
    const failing = routesOf(MESH_ROUTES.filter((x) => x.fail !== undefined));
    const fivexx = normal.map(envoy).filter((v) => v !== undefined && v.status >= 500).map((v) => routeOf((v as { path: string }).path));
    expect(fivexx.length).toBeGreaterThan(5);
    expect(fivexx.every((p) => failing.has(p))).toBe(true);
    const quiet = routesOf(QUIET_ROUTES);
    expect([...quiet].some((p) => failing.has(p))).toBe(false);
    const vals = (re: RegExp): Set<string> => new Set(normal.flatMap((l) => { const m = re.exec(l); return m === null ? [] : [m[1]]; }));
    expect(vals(/ ([A-Z]{3}) plan=/)).toEqual(new Set(CURRENCIES));
    expect(vals(/plan=(\w+) /)).toEqual(new Set(PLANS));
    expect([...vals(/Accepted publickey for (\w+) /)].every((u) => SSH_USERS.includes(u))).toBe(true);
  });

  it('six formats at very different rates with benign novelty, 50-80k lines in a full run', () => {
    const full = generateSvc(9);
    expect(full.events.length).toBeGreaterThan(50_000);
    expect(full.events.length).toBeLessThan(80_000);
    const count = new Map<string, number>();
    for (const e of full.events) count.set(e.stream, (count.get(e.stream) ?? 0) + 1);
    expect([...count.keys()].sort()).toEqual(['cache/redis', 'db/postgres', 'edge/haproxy', 'host/bastion', 'mesh/ingress', 'shop/orders']);
    expect((count.get('mesh/ingress') ?? 0) / (count.get('host/bastion') ?? 1)).toBeGreaterThan(50);
    expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const text = (stream: string): string[] => normalOf(full).filter((e) => e.stream === stream).map((e) => String(e.data));
    expect(text('shop/orders').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {1,2}[A-Z]{4,5} \d+ --- \[.{15}\] \S+ +: /.test(l) || l.startsWith('\tat ')).length).toBe(text('shop/orders').length);
    expect(text('host/bastion').every((l) => /^<\d+>1 \S+ bastion-1 \S+ \S+ - - /.test(l))).toBe(true);
    const mesh = text('mesh/ingress');
    expect(mesh.every((l) => envoy(l) !== undefined)).toBe(true);
    expect(new Set(mesh).size).toBe(mesh.length);
  });
});
