// The health generator: pure (same seed, same bytes), every kind labelled, labels consistent with
// the lines they point at (never at a benign line: the new ward, analyzer and ultrasound cart, the
// shift change, the scheduled jobs), normal lines never holding what an incident holds, sane
// incident counts, seven streams in seven formats, benign novelty, each kind on every seed.
import { describe, expect, it } from 'vitest';
import { generateHealth, HEALTH_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/health.js';
import { MODALITIES, NEW_FACILITIES, NEW_MODALITIES, NEW_MSG_TYPES, NEW_UNITS, STREAMS, TESTS } from '../../src/tools/eval/generators/health-lines.js';
import { NEW_RESOURCES, NEW_WARDS } from '../../src/tools/eval/generators/health-incidents.js';
import { ETL_JOBS } from '../../src/tools/eval/generators/health-ops.js';
import { ROUTES } from '../../src/tools/eval/generators/health-clinical.js';
import type { GeneratedSet } from '../../src/tools/eval/generators/index.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up and every kind
/** A line with its ids, numbers, times and hex masked: its template, roughly. */
const shape = (l: string): string => l.replace(/"time":"[^"]+"|"req_id":"[^"]+"/g, '').replace(/\b[0-9a-f]{8}\b/g, 'H').replace(/\d+/g, '0');
const UNSEEN = (l: string): boolean =>
  NEW_MODALITIES.some((m) => l.includes(`modality=${m} `)) || Object.values(NEW_UNITS).some((u) => l.includes(`,${u},`)) || NEW_MSG_TYPES.some((t) => l.includes(`Received ${t} `))
  || NEW_FACILITIES.some((f) => l.includes(`MSH-4=${f} `)) || NEW_RESOURCES.some((x) => l.includes(`"resource":"${x}"`)) || NEW_WARDS.some((x) => l.includes(`PV1-3=${x}^`));
const STALL = /MSA\|A[ER]\|\d+ ERR\|\|\|207|Queue depth \d+ exceeds|Connection re-established/;
const field = (l: string, k: string): string => new RegExp(`\\b${k}=(\\S+)`).exec(l)?.[1] ?? '';
const at = (set: GeneratedSet, re: RegExp): number[] => set.events.flatMap((e) => (re.test(String(e.data)) ? [Date.parse(e.timestamp)] : []));

function unusual(l: string): boolean {
  const lab = /Z,\w+,S[\d-]+,(\w+),([\d.]+),/.exec(l);
  if (lab !== null) return Number(lab[2]) >= 10 * (TESTS.find((t) => t.code === lab[1])?.mid ?? Infinity);
  if (l.includes('C-STORE completed')) {
    const m = MODALITIES.find((x) => l.includes(`modality=${x.code} `));
    return m !== undefined && num(l, /size=([\d.]+)MB/) >= 10 * m.images[1] * m.mbPer;
  }
  if (l.includes('etl.cdw')) return num(l, /rows_read=(\d+)/) >= 25 * (ETL_JOBS.find(([job]) => l.includes(`job=${job} `))?.[1] ?? Infinity);
  const j = JSON.parse(l) as { status: number; ms: number; client: string; method: string; resource: string };
  const rt = ROUTES.find((x) => x.client === j.client && x.method === j.method && x.resource === j.resource);
  return j.status >= 500 || (rt !== undefined && j.ms >= 30 * rt.ms);
}

describe('eval generate --kind health', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('health', generateHealth, SHORT, /hospital's integration platform/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateHealth(seed, SHORT);
      expectLabelledLogSet(set, HEALTH_KINDS, WARMUP_MS);
      const n = incidents(set);
      expect(n.unseen_category).toBeGreaterThanOrEqual(3);
      expect(n.unusual_value).toBeGreaterThanOrEqual(5);
      expect(idxOf(set, 'rare_error').length).toBe(12);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(70 + 2 * 40);
      expect(idxOf(set, 'record_snooping').length).toBeGreaterThanOrEqual(18 + 6);
      expect(ofKind(set, 'interface_stall').filter((l) => l.includes('Connection re-established')).length).toBe(1);
    }
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6, 7, 8]) {
      const set = generateHealth(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      const RECURRING = /C-STORE failed .*status=A700|Subscription\/lab-critical .* failed|Parse error ctrl=/;
      expect(ofKind(set, 'rare_error').filter((l) => RECURRING.test(l)).length).toBe(9);
      expect(normal.filter((l) => RECURRING.test(l))).toEqual([]);
      for (const s of ofKind(set, 'rare_error').filter((l) => !RECURRING.test(l)).map(shape)) expect(normalShapes.has(s), s).toBe(false);
      for (const l of ofKind(set, 'unseen_category')) expect(UNSEEN(l), l).toBe(true);
      expect(normal.filter(UNSEEN)).toEqual([]);
      for (const l of ofKind(set, 'unusual_value')) expect(unusual(l), l).toBe(true);
      for (const l of ofKind(set, 'rare_burst')) expect(l).toMatch(/"outcome":"invalid_token"|A-ASSOCIATE-RJ|reason=bad_password|C-STORE failed|Subscription\/lab-critical|Parse error ctrl/);
      for (const l of ofKind(set, 'interface_stall')) expect(l).toMatch(/No ACK for ctrl|MSA\|A[AER]\||Queue depth|Stats sent=0 errored=\d+ queued=|Connection re-established/);
      expect(normal.filter((l) => STALL.test(l))).toEqual([]);
      const used = new Set(normal.filter((l) => l.includes(' app=ehr user=')).flatMap((l) => [`${field(l, 'user')} ${field(l, 'ws')}`, `${field(l, 'user')} ${field(l, 'dept')}`]));
      for (const l of ofKind(set, 'record_snooping')) {
        expect(!used.has(`${field(l, 'user')} ${field(l, 'ws')}`) || !used.has(`${field(l, 'user')} ${field(l, 'dept')}`), l).toBe(true);
      }
    }
  });

  it('normal values stay in their usual ranges; ordinary errors and retries happen', () => {
    const normal = normalOf(generateHealth(8));
    const results = normal.filter((l) => /Z,\w+,S[\d-]+,/.test(l));
    expect(results.length).toBeGreaterThan(1000);
    for (const l of results) {
      const [, , , code, v, units] = l.split(',');
      const t = TESTS.find((x) => x.code === code);
      expect(t?.units).toBe(units);
      if (code !== 'CRP' && code !== 'TROP_HS') expect(Number(v)).toBeLessThan(10 * (t?.mid ?? 0));
    }
    expect(new Set(results.map((l) => l.split(',')[6]))).toEqual(new Set(['N', 'H', 'L', 'HH', 'LL']));
    for (const l of normal.filter((x) => x.includes('C-STORE completed'))) {
      const m = MODALITIES.find((x) => l.includes(`modality=${x.code} `));
      expect(num(l, /size=([\d.]+)MB/)).toBeLessThan(1.2 * (m?.images[1] ?? 0) * (m?.mbPer ?? 0));
    }
    const rest = normal.filter((l) => l.includes('"event":"rest"')).map((l) => JSON.parse(l) as { status: number; ms: number; client: string; method: string; resource: string });
    for (const j of rest.filter((x) => x.status < 500 && x.client !== 'cdw-export')) expect(j.ms).toBeLessThan(15 * (ROUTES.find((x) => x.client === j.client && x.resource === j.resource && x.method === j.method)?.ms ?? 0));
    expect(rest.filter((j) => j.status >= 500).every((j) => j.status === 504 && (j.resource === 'DiagnosticReport' || j.resource === 'DocumentReference'))).toBe(true);
    for (const s of [401, 404, 504]) expect(rest.filter((j) => j.status === s).length, String(s)).toBeGreaterThan(0);
    for (const l of normal.filter((x) => x.includes('etl.cdw') && x.includes('rows_read'))) expect(num(l, /rows_read=(\d+)/)).toBeLessThan(5 * (ETL_JOBS.find(([job]) => l.includes(`job=${job} `))?.[1] ?? 0));
    expect(normal.filter((l) => l.includes('resending (attempt 2/3)')).length).toBeGreaterThan(0);
    expect(normal.filter((l) => /ACCESS DENIED|DOOR HELD OPEN/.test(l)).length).toBeGreaterThan(3);
    expect(normal.filter((l) => /A-ASSOCIATE-RJ|A-ABORT/.test(l)).length).toBeGreaterThan(3);
    expect(normal.filter((l) => l.includes('deadlock victim') || l.includes('reason=bad_password')).length).toBeGreaterThan(3);
  });

  it('benign events: the new ward, analyzer and ultrasound cart announced before use; the shift change; the nightly backup', () => {
    const set = generateHealth(9, 360);
    const first = (re: RegExp): number => Math.min(...at(set, re));
    expect(first(/LOCATIONS reloaded: .* added \(5E\)/)).toBeLessThan(first(/PV1-3=5E\^|dept=5E /));
    expect(first(/CONFIG readers added area=5E/)).toBeLessThan(first(/reader=5E-/));
    expect(at(set, /dept=5E /).length).toBeGreaterThan(50);
    expect(first(/SYSMEX_XN_3,QC-/)).toBeLessThan(first(/SYSMEX_XN_3,S/));
    expect(at(set, /SYSMEX_XN_3,S/).length).toBeGreaterThan(20);
    const ae = /AE (US_PORTABLE_0\d) registered/.exec(set.events.map((e) => String(e.data)).find((l) => l.includes(' registered host=')) ?? '')?.[1] ?? 'none';
    expect(first(/AE US_PORTABLE_0\d registered/)).toBeLessThan(first(new RegExp(`<-${ae} `)));
    const logins = set.events.filter((e) => String(e.data).includes('action=login result=ok'));
    const t0 = Date.parse(set.events[0].timestamp);
    const shift = new Date(t0).setUTCHours(19, 0, 0, 0);
    const before = new Set(set.events.filter((e) => Date.parse(e.timestamp) < shift - 3_600_000).map((e) => field(String(e.data), 'user')));
    const fresh = logins.filter((e) => !before.has(field(String(e.data), 'user')) && Math.abs(Date.parse(e.timestamp) - shift) < 3_600_000);
    expect(fresh.length).toBeGreaterThan(20);
    expect(at(set, /action=logout/).length).toBeGreaterThan(20);
    expect(at(set, /EHR-DB-Nightly" completed status=Success/).length).toBe(1);
    expect(at(set, /etl\.cdw job=adt_incremental/).length).toBeGreaterThanOrEqual(5);
  });

  it('each kind on every seed of a full run: 14-30k lines over 4-6 hours, in seven formats with fresh ids', () => {
    for (const seed of [10, 12]) {
      const full = generateHealth(seed);
      expect(new Set(Object.values(full.labels.kinds))).toEqual(new Set(HEALTH_KINDS));
      const text = expectFullLogRun(full, [14_000, 30_000], [3.9, 6.1], STREAMS);
      expect(text(STREAMS.hl7).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO |WARN |ERROR) \[[A-Z_]+\] /.test(l))).toBe(true);
      expect(text(STREAMS.fhir).every((l) => typeof (JSON.parse(l) as { logger: string }).logger === 'string')).toBe(true);
      expect(text(STREAMS.pacs).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (INFO |WARN |ERROR) \[(assoc-\d+|config|storage)\] /.test(l))).toBe(true);
      expect(text(STREAMS.lab).every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,\w+,(S\d{6}-\d{5}|QC-L[12]-\d{4}),\w+,[\d.]+,[^,]+,(N|H|L|HH|LL),(F|C|QC)$/.test(l))).toBe(true);
      expect(text(STREAMS.ehr).every((l) => /^ts=\S+ app=ehr user=\w+ role=[A-Z]+ ws=WS-[\w]+-\d\d action=\w+ /.test(l))).toBe(true);
      expect(text(STREAMS.badge).every((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d acs-ctrl0\d OnGuard\[\d+\]: [A-Z]/.test(l))).toBe(true);
      expect(text(STREAMS.backup).every((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (INFO|WARN) /.test(l))).toBe(true);
      const ids = text(STREAMS.hl7).map((l) => /^.* Received \S+ ctrl=(\d+)/.exec(l)?.[1]).filter((x) => x !== undefined);
      expect(ids.length).toBeGreaterThan(1000);
      expect(new Set(ids).size).toBeGreaterThan(ids.length * 0.99);
      const mrns = text(STREAMS.hl7).map((l) => /PID-3=(\d+)/.exec(l)?.[1]).filter((x) => x !== undefined);
      const early = new Set(mrns.slice(0, mrns.length / 4));
      expect(mrns.slice(mrns.length / 2).filter((m) => !early.has(m)).length).toBeGreaterThan(mrns.length * 0.05);
      expect(new Set(text(STREAMS.pacs).map((l) => / acc=(\S+)/.exec(l)?.[1]).filter((x) => x !== undefined)).size).toBeGreaterThan(100);
    }
  });
});
