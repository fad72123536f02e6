// The voip generator: pure (same seed, same bytes), every kind labelled, labels consistent with the
// lines they point at (never at a benign line: a trunk added, an extension created, a number
// ported, a country enabled for SMS, the nightly CDR export), sane incident counts, six formats,
// benign novelty, each kind present on every seed.
import { describe, expect, it } from 'vitest';
import { generateVoip, VOIP_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/voip.js';
import { ENABLED_LATER, FRAUD_PREFIXES, NEVER_ENABLED, STREAMS, UNSEEN_CODECS } from '../../src/tools/eval/generators/voip-lines.js';
import type { GeneratedSet } from '../../src/tools/eval/generators/index.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up, the toll fraud's calls and every other kind
/** A line with its ids, numbers, addresses, times and hex masked: its template, roughly. */
const shape = (l: string): string => l.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/\b[0-9a-f]{8,}\b/g, 'H').replace(/\d+/g, '0');
const BENIGN = /Reloading|Parsing '\/etc|\[CONFIG\]|\[LNP\]|"POST \/v2\/(extensions|trunks|ports) |PATCH \/v2\/ports|\/v2\/exports|\/v2\/cdrs\?date=|route table reloaded|Peer 'trunk-eu2'/;
const UNSEEN = (l: string): boolean => l.includes('"CONGESTION"') || UNSEEN_CODECS.some((c) => l.includes(` codec ${c} `)) || NEVER_ENABLED.some(([c]) => l.includes(`"country":"${c}"`)) || l.includes('"CHF"');
/** A premium or high-cost number abroad (a CDR's callee, an INVITE's To). */
const FRAUD = new RegExp(`^(${FRAUD_PREFIXES.join('|')})\\d{3,}$`);
const callee = (l: string): string => (/^"/.test(l) ? cdr(l)[3] : /tu=sip:\+(\d+)@/.exec(l)?.[1] ?? '');
/** CSV fields of a CDR row. */
const cdr = (l: string): string[] => l.split(',').map((x) => x.replace(/^"|"$/g, ''));
const at = (set: GeneratedSet, re: RegExp): number[] => set.events.flatMap((e, i) => (re.test(String(e.data)) ? [Date.parse(set.events[i].timestamp)] : []));

function unusual(l: string): boolean {
  if (l.includes('Final packet stats')) return num(l, /\((\d+\.\d)%\)/) >= 30 || num(l, /jitter (\d+) ms/) >= 250 || num(l, /duration (\d+):/) >= 180;
  if (l.includes('smpp.submit')) return num(l, /"segments":(\d+)/) >= 38 || num(l, /"latency_ms":(\d+)/) >= 600;
  if (l.includes('"GET /v2/extensions/')) return num(l, /rt=([\d.]+)/) >= 0.4;
  return Number(cdr(l)[4]) >= 10_800;
}

describe('eval generate --kind voip', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('voip', generateVoip, SHORT, /telephony \/ VoIP platform/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateVoip(seed, SHORT);
      expectLabelledLogSet(set, VOIP_KINDS, WARMUP_MS);
      const n = incidents(set);
      expect(n.unseen_category).toBe(3);
      expect(n.unusual_value).toBeGreaterThanOrEqual(5);
      expect(n.rare_error).toBeGreaterThanOrEqual(10);
      expect(idxOf(set, 'rare_error').length).toBeLessThanOrEqual(13);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(2 * 40);
      expect(ofKind(set, 'toll_fraud').filter((l) => /^"/.test(l)).length).toBeGreaterThanOrEqual(15);
      expect(ofKind(set, 'trunk_down').filter((l) => /is now (UNREACHABLE|Reachable)|\[DISPATCHER\]/.test(l)).length).toBe(4);
    }
  });

  it('the labelled lines hold what their kind says, never a benign event, and normal lines never do', () => {
    for (const seed of [5, 6, 7, 8]) {
      const set = generateVoip(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      for (const l of set.labels.anomalous.map((i) => String(set.events[i].data))) expect(BENIGN.test(l), l).toBe(false);
      const errors = ofKind(set, 'rare_error');
      const shapes = errors.map(shape);
      const recurring = shapes.find((s) => shapes.filter((x) => x === s).length === 7);
      expect(recurring).toBeDefined();
      for (const s of shapes) expect(normalShapes.has(s), s).toBe(false);
      for (const l of ofKind(set, 'unseen_category')) expect(UNSEEN(l), l).toBe(true);
      expect(normal.filter(UNSEEN)).toEqual([]);
      for (const l of ofKind(set, 'unusual_value')) expect(unusual(l), l).toBe(true);
      for (const l of ofKind(set, 'rare_burst')) expect(l).toMatch(/- Wrong password$|\[REGISTER\] fu=sip:\d+@\S+ si=\S+ ua="[^"]+" expires=3600$|ua="friendly-scanner" blocked|ESME_RTHROTTLED/);
      const fraudRows = ofKind(set, 'toll_fraud').filter((l) => /^"/.test(l)).map(cdr);
      expect(fraudRows.every((f) => FRAUD.test(f[3]) && f[9] === 'trunk-intl' && (f[6] !== 'ANSWERED' || Number(f[7]) >= 5))).toBe(true);
      expect(normal.filter((l) => FRAUD.test(callee(l)))).toEqual([]);
      expect(ofKind(set, 'toll_fraud').filter((l) => FRAUD.test(callee(l))).length).toBeGreaterThanOrEqual(2 * 15);
      for (const l of ofKind(set, 'trunk_down')) expect(l).toMatch(/is now (UNREACHABLE|Reachable)|\[DISPATCHER\]|503 Service Unavailable src=local|Everyone is busy\/congested|'CHANUNAVAIL'|"FAILED",0\.0000/);
      expect(normal.filter((l) => /\[DISPATCHER\]|src=local|Peer 'trunk-(uk1|intl)'/.test(l))).toEqual([]);
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const normal = normalOf(generateVoip(8));
    const legs = normal.filter((l) => l.includes('Final packet stats'));
    expect(legs.length).toBeGreaterThan(1000);
    expect(Math.max(...legs.map((l) => num(l, /\((\d+\.\d)%\)/)))).toBeLessThan(3);
    expect(Math.min(...legs.map((l) => num(l, /MOS (\d\.\d)/)))).toBeGreaterThanOrEqual(3.5);
    expect(Math.max(...legs.map((l) => num(l, /jitter (\d+) ms/)))).toBeLessThanOrEqual(40);
    const rows = normal.filter((l) => /^"\d{4}-/.test(l)).map(cdr);
    expect(Math.max(...rows.map((f) => Number(f[4])))).toBeLessThan(3000);
    expect(new Set(rows.map((f) => f[6]))).toEqual(new Set(['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED']));
    const submits = normal.filter((l) => l.includes('smpp.submit'));
    expect(Math.max(...submits.map((l) => num(l, /"segments":(\d+)/)))).toBeLessThanOrEqual(4);
    expect(Math.max(...submits.map((l) => num(l, /"latency_ms":(\d+)/)))).toBeLessThan(600);
    expect(Math.max(...normal.filter((l) => l.includes('"GET /v2/extensions/')).map((l) => num(l, /rt=([\d.]+)/)))).toBeLessThan(0.4);
    const warnings = normal.filter((l) => /WARNING: |NOTICE\[|"level":"warn"|" (4\d\d|5\d\d) \d+ "/.test(l)).length;
    expect(warnings / normal.length).toBeGreaterThan(0.01);
    expect(warnings / normal.length).toBeLessThan(0.12);
    expect(normal.filter((l) => l.includes('- Wrong password')).length).toBeGreaterThan(3);
    expect(normal.filter((l) => /ua="(friendly-scanner|sipvicious|sipcli\/v1\.8|VaxSIPUserAgent\/3\.1)" blocked/.test(l)).length).toBeGreaterThan(20);
  });

  it('benign events: the trunk, extensions, ports and SMS country announced before use; the nightly CDR export', () => {
    const set = generateVoip(9);
    const t0 = Date.parse(set.events[0].timestamp);
    const [reload] = at(set, /\[CONFIG\] dispatcher reloaded: .* gw=trunk-eu2\)/);
    expect(reload - t0).toBeGreaterThan(WARMUP_MS / 2);
    expect(Math.min(...at(set, /gw=trunk-eu2$|"trunk-eu2"/))).toBeGreaterThan(reload);
    expect(Math.min(...at(set, /"EUR"/))).toBeGreaterThan(reload);
    expect(at(set, /"EUR","trunk-eu2"/).length).toBeGreaterThan(5);
    const created = at(set, /"POST \/v2\/extensions /);
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(at(set, /VERBOSE\[\d+\] chan_sip\.c: Registered SIP/).length).toBeGreaterThanOrEqual(created.length);
    const lnp = set.events.filter((e) => String(e.data).includes('[LNP]'));
    expect(lnp.length).toBeGreaterThanOrEqual(2);
    for (const e of lnp) {
      const n = /\[LNP\] \+(\d+)/.exec(String(e.data))?.[1] ?? 'none';
      expect(at(set, new RegExp(`tu=sip:\\+${n}@`)).every((t) => t > Date.parse(e.timestamp))).toBe(true);
    }
    const country = ENABLED_LATER.map(([c]) => c).find((c) => at(set, new RegExp(`"added":"${c}"`)).length === 1) ?? 'none';
    const [enabled] = at(set, new RegExp(`"added":"${country}"`));
    const sent = at(set, new RegExp(`"country":"${country}"`));
    expect(sent.length).toBeGreaterThan(10);
    expect(Math.min(...sent)).toBeGreaterThan(enabled);
    const pages = at(set, /\/v2\/cdrs\?date=/);
    expect(pages.length).toBeGreaterThanOrEqual(30);
    expect(new Date(pages[0]).getUTCHours()).toBe(0);
    expect(new Date(pages[0]).getUTCMinutes()).toBe(10);
  });

  it('each kind on every seed of a full run: 25-45k lines over 4-6 hours in six formats with fresh ids', () => {
    for (const seed of [10, 11]) {
      const full = generateVoip(seed);
      expect(new Set(Object.values(full.labels.kinds))).toEqual(new Set(VOIP_KINDS));
      const text = expectFullLogRun(full, [25_000, 45_000], [3.9, 6.1], STREAMS);
      expect(text(STREAMS.sip).every((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d sbc-edge-01 \/usr\/sbin\/kamailio\[\d+\]: (INFO|NOTICE|WARNING|ERROR): (<script>|tm \[[\w.]+:\d+\]|<core> \[[\w/.]+:\d+\]): /.test(l))).toBe(true);
      expect(text(STREAMS.pbx).every((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (VERBOSE|NOTICE|WARNING|ERROR)\[\d+\](\[C-[0-9a-f]{8}\])? [\w_]+\.c: /.test(l))).toBe(true);
      expect(text(STREAMS.media).every((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d media-01 rtpengine\[\d+\]: (INFO|WARNING|ERR): \[[^\]]+\]: /.test(l))).toBe(true);
      expect(text(STREAMS.sms).every((l) => typeof JSON.parse(l).logger === 'string')).toBe(true);
      expect(text(STREAMS.cdr).every((l) => cdr(l).length === 11)).toBe(true);
      expect(text(STREAMS.api).every((l) => /^[\d.]+ - \S+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "(GET|POST|PUT|PATCH) \S+ HTTP\/1\.1" \d{3} \d+ "-" "[^"]+" rt=[\d.]+ req_id=[0-9a-f]{16}$/.test(l))).toBe(true);
      const ids = text(STREAMS.sip).map((l) => /\[INVITE\] ci=(\S+) fu=/.exec(l)?.[1]).filter((x) => x !== undefined);
      expect(ids.length).toBeGreaterThan(1500);
      expect(new Set(ids).size).toBeGreaterThan(ids.length * 0.999);
      const uids = text(STREAMS.cdr).map((l) => cdr(l)[10]);
      expect(new Set(uids).size).toBe(uids.length);
      expect(new Set(text(STREAMS.cdr).map((l) => cdr(l)[7])).size).toBeGreaterThan(300);
      expect(new Set(text(STREAMS.sms).map((l) => JSON.parse(l).message_id as string)).size).toBeGreaterThan(1000);
    }
  });
});
