// Unseen values of a slow low-cardinality field (issue 11): the Good-Turing p decides, not ~1,000 sightings.
import { describe, expect, it } from 'vitest';
import { flushFields, freshField, observeValue } from '../../workers/detectors/fields.js';

function feed(values: string[]): ReturnType<typeof freshField> {
  const f = freshField();
  for (const v of values) expect(observeValue(f, v, '', true, true)).toBeNull();
  return f;
}

describe('unseen value of a slow low-cardinality metadata field', () => {
  it('a 4th region after 150 sightings of 3 regions (none once) scores at least 0.5', () => {
    const regions = ['eu-west-1', 'us-east-1', 'ap-south-1'];
    const f = feed(Array.from({ length: 150 }, (_, i) => regions[i % 3]));
    const r = observeValue(f, 'sa-east-1', '', true, true);
    expect(r?.kind).toBe('unseen_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });

  it("a finding's words and details, written only when read, are those of the sighting it judged", () => {
    const regions = ['eu-west-1', 'us-east-1', 'ap-south-1'];
    const f = feed(Array.from({ length: 150 }, (_, i) => regions[i % 3]));
    const r = observeValue(f, 'sa-east-1', '', true, true);
    // The field moves on before the finding is read (logs.ts reads it at the end of the line).
    for (let i = 0; i < 40; i++) observeValue(f, regions[i % 3], '', true, true);
    expect(r?.words).toBe('value "sa-east-1" never seen in 150 sightings (values so far: eu-west-1, us-east-1, ap-south-1; p ≈ 0.0066)');
    expect(r?.details).toEqual({ sightings: 150, values: 3, p_value: 0.00662 });
  });

  it('a field that keeps showing singletons stays unsurprising at the same count', () => {
    // 3 common values and 6 seen once: p ≈ 7/151, well above the bar.
    const common = ['a', 'b', 'c'];
    const vals = Array.from({ length: 144 }, (_, i) => common[i % 3]);
    for (let k = 0; k < 6; k++) vals.splice(8 * k + 5, 0, `once${k}`);
    const f = feed(vals);
    const r = observeValue(f, 'new', '', true, true);
    expect(r === null || r.score < 0.5).toBe(true);
  });

  it('no judgement before a field has some history (60 sightings)', () => {
    const f = feed(Array.from({ length: 60 }, (_, i) => ['x', 'y'][i % 2]));
    expect(observeValue(f, 'z', '', true, true)).toBeNull();
  });

  it('a template slot keeps the higher bar (500 sightings) while its values are not settled', () => {
    // Its third value came at sighting 100 of 150: not settled (value-settled.unit.test.ts).
    const f = freshField();
    for (let i = 0; i < 150; i++) observeValue(f, i < 100 ? ['a', 'b'][i % 2] : ['a', 'b', 'c'][i % 3], '');
    expect(observeValue(f, 'd', '')).toBeNull();
  });
});

describe('the value counts kept beside a field', () => {
  it('are invisible to JSON, Object.keys and spreads, and reach f.v at flushFields()', () => {
    const f = feed(Array.from({ length: 30 }, (_, i) => ['a', 'b', 'c'][i % 3]));
    // (t: the sighting of the last new value, a settled slot's record; not the Map's.)
    expect(Object.keys(f)).toEqual([...Object.keys(freshField()), 't']);
    expect(Object.keys({ ...f })).toEqual([...Object.keys(freshField()), 't']);
    flushFields();
    expect(JSON.parse(JSON.stringify(f))).toEqual({ ...freshField(), n: 30, k: 3, v: { a: 10, b: 10, c: 10 }, t: 2 });
  });
});

describe('value counts against plain object semantics', () => {
  // The Map beside f.v answers for it; f.v itself must end as a plain object's counting would
  // leave it, Object.prototype names and a hand-made state's non-number count included.
  const model = (v: Record<string, unknown>, values: string[]): Record<string, unknown> => {
    for (const x of values) {
      const c = v[x] as number | undefined;
      if (c === undefined) v[x] = 1;
      else v[x] = c + 1;
    }
    return v;
  };
  const alphabet = ['a', 'b', '200', 'toString', '__proto__', 'constructor', 'c', 'odd'];
  let seed = 5;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  it('gives f.v the counts of a plain object, fresh or loaded with an odd key', () => {
    for (let run = 0; run < 20; run++) {
      const values = Array.from({ length: 60 }, () => alphabet[Math.floor(rnd() * alphabet.length)]);
      const loaded = run % 2 === 1;
      const text = loaded ? '{"n":3,"v":{"a":2,"odd":"x","__proto__":1},"k":3,"num":0,"up":0,"prev":0,"nc":0,"c":{}}' : JSON.stringify(freshField());
      const f = JSON.parse(text) as ReturnType<typeof freshField>;
      const ref = JSON.parse(text) as { v: Record<string, unknown> };
      for (const x of values) observeValue(f, x, '', false);
      flushFields();
      expect(JSON.stringify(f.v)).toBe(JSON.stringify(model(ref.v, values)));
    }
  });
});

describe('a numeric outlier', () => {
  it('keeps the words and details of the moment it was judged (read later, after more values)', () => {
    const f = freshField();
    for (let i = 0; i < 300; i++) observeValue(f, String(100 + ((i * 17) % 37)), '');
    const r = observeValue(f, '90000', '');
    expect(r?.kind).toBe('numeric_outlier');
    const words = r!.words;
    const details = { ...r!.details };
    expect(words).toMatch(/^value 90000 is \d+\.\d× its typical \d+ \(robust z \d+\.\d on a log scale, \d+ values\)$/);
    expect(words).toContain(`, ${details.values} values)`);
    for (let i = 0; i < 50; i++) observeValue(f, String(100 + i), '');
    expect(r!.words).toBe(words);
    expect(r!.details).toEqual(details);
  });
});

describe('a value seen once before, in a low-cardinality field (issue 11: a new currency or status recurs)', () => {
  it('its second sighting among 250 of 3 common regions scores as a new value would', () => {
    const regions = ['eu-west-1', 'us-east-1', 'ap-south-1'];
    const f = feed(Array.from({ length: 150 }, (_, i) => regions[i % 3]));
    expect(observeValue(f, 'sa-east-1', '', true, true)?.kind).toBe('unseen_value');
    for (let i = 0; i < 100; i++) expect(observeValue(f, regions[i % 3], '', true, true)).toBeNull();
    const r = observeValue(f, 'sa-east-1', '', true, true);
    expect(r?.kind).toBe('rare_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
    expect(r!.details).toMatchObject({ count: 1, sightings: 251 });
  });

  it('a value among several rare ones, or one seen often enough, is not news', () => {
    const common = ['a', 'b', 'c'];
    const vals = Array.from({ length: 144 }, (_, i) => common[i % 3]);
    for (let k = 0; k < 4; k++) vals.splice(8 * k + 5, 0, `once${k}`);
    const f = feed(vals);
    const r = observeValue(f, 'once0', '', true, true);
    expect(r === null || r.score < 0.5).toBe(true);
    const g = feed(Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? 'x' : common[i % 3])));
    expect(observeValue(g, 'x', '', true, true)).toBeNull();
  });

  it('a template slot keeps the higher bar for it too (500 sightings)', () => {
    const abc = (f: ReturnType<typeof freshField>, n: number): void => { for (let i = 0; i < n; i++) observeValue(f, ['a', 'b', 'c'][i % 3], ''); };
    const f = freshField();
    abc(f, 150);
    observeValue(f, 'd', '');
    abc(f, 150);
    expect(observeValue(f, 'd', '')).toBeNull();
    const g = freshField();
    abc(g, 600);
    expect(observeValue(g, 'd', '')?.kind).toBe('unseen_value');
    abc(g, 3000);
    const r = observeValue(g, 'd', '');
    expect(r?.kind).toBe('rare_value');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('a new value that comes back at once is becoming common, not rare (a pod renamed by a rollout)', () => {
    const f = feed(Array.from({ length: 600 }, (_, i) => ['p0', 'p1', 'p2'][i % 3]));
    const scores: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = observeValue(f, ['q0', 'q1', 'q2'][i % 3], '', true, true);
      if (i >= 3 && r !== null) scores.push(r.score);
    }
    expect(Math.max(0, ...scores)).toBeLessThan(0.5);
  });
});

describe('numeric values of a slot (issue 11: a 30× request_time on an nginx line)', () => {
  // A high-cardinality numeric field: its values are judged once 16 distinct ones were seen.
  const numeric = (): ReturnType<typeof freshField> => {
    const f = freshField();
    for (let i = 0; i < 16; i++) observeValue(f, String(100 + i), '');
    return f;
  };
  let seed = 7;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);

  it('small decimals are judged on a scale of their own (0.002 s → 0.060 s is 30×)', () => {
    const f = numeric();
    for (let i = 0; i < 300; i++) observeValue(f, (0.002 * Math.exp(0.45 * (rand() + rand() + rand() - 1.5))).toFixed(3), '');
    const r = observeValue(f, '0.060', '');
    expect(r?.kind).toBe('numeric_outlier');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
    // …while a count keeps its log(1 + x) scale: 2 → 60 is no outlier among counts 0-6.
    const g = numeric();
    for (let i = 0; i < 300; i++) observeValue(g, String(i % 7), '');
    expect(observeValue(g, '9', '')?.score ?? 0).toBeLessThan(0.5);
  });

  it('with several varying context slots, each one alone is a history too (the full combination is too sparse)', () => {
    // Latency by route; status, version and referer vary independently: 2 × 3 × 3 × 3 = 54
    // combinations, each under minNumeric (80) values after 1,500 lines.
    const routes: [string, number][] = [['catalog', 18], ['search', 85], ['auth', 60]];
    const f = numeric();
    let line = 0;
    const views = (route: string): [string, string[]] => {
      const parts = [`route=${route}`, `status=${['200', '304', '404'][line % 3]}`, `v=${['1.1', '2.0'][(line >> 1) % 2]}`, `ref=${['-', 'a', 'b'][(line >> 2) % 3]}`];
      line++;
      return [parts.join(' '), parts];
    };
    for (let i = 0; i < 1500; i++) {
      const [route, ms] = routes[i % 3];
      const [ctx, parts] = views(route);
      observeValue(f, String(Math.round(ms * Math.exp(0.4 * (rand() + rand() + rand() - 1.5)))), ctx, true, false, parts);
    }
    const [ctx, parts] = views('auth');
    const r = observeValue(f, String(60 * 30), ctx, true, false, parts);
    expect(r?.kind).toBe('numeric_outlier');
    expect(r!.score).toBeGreaterThanOrEqual(0.5);
    expect(r!.words).toContain('route=auth');
    // A usual auth latency is not news, though catalog's are 3× faster.
    const [ctx2, parts2] = views('auth');
    expect(observeValue(f, '70', ctx2, true, false, parts2)?.score ?? 0).toBeLessThan(0.5);
  });
});
