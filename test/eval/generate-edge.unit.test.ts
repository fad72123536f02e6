// The edge generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at, six streams in their own formats, benign novelty and normal bursts on
// normal lines (fresh IPs, queue ids, users; the nightly backup's mails, the DNS checks).
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { EDGE_KINDS, generateEdge, NEW_CIPHERS } from '../../src/tools/eval/generators/edge.js';
import { NEW_COUNTRIES } from '../../src/tools/eval/generators/edge-lines.js';
import { expectLabelledLogSet, normalOf, ofKind } from './helpers.js';

const SHORT = 2; // hours: enough for every kind (the warm-up is 20 minutes), fast in a unit test
const newValue = (l: string): boolean => NEW_CIPHERS.some((c) => l.includes(`cipher '${c}'`)) || NEW_COUNTRIES.some((c) => l.includes(`"ClientCountry":"${c}"`)) || l.includes(' via eth0');
const src = (l: string): string | undefined => /FW-DROP-WAN: .* SRC=(\S+) .* DPT=(\d+)/.exec(l)?.[1];

describe('eval generate --kind edge', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS.edge.describe).toMatch(/network edge/);
    const a = JSON.stringify(generateEdge(3, SHORT));
    expect(JSON.stringify(generateEdge(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateEdge(4, SHORT))).not.toBe(a);
  });

  it('labels every kind; labels point at lines in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) expectLabelledLogSet(generateEdge(seed, SHORT), EDGE_KINDS, 1_200_000);
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6]) {
      const set = generateEdge(seed, SHORT);
      const normal = normalOf(set);
      expect(ofKind(set, 'unseen_category').length).toBeGreaterThanOrEqual(3);
      for (const l of ofKind(set, 'unseen_category')) expect(newValue(l)).toBe(true);
      expect(normal.some(newValue)).toBe(false);
      expect(ofKind(set, 'retry_storm').length).toBeGreaterThanOrEqual(2 * 15);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/Connection timed out|ping-restart/);
      const rare = ofKind(set, 'rare_error');
      expect(rare.length).toBeGreaterThanOrEqual(60 + 9);
      expect(new Set(rare.map((l) => l.replace(/^.*?\]: /, '').replace(/[\d.]+/g, '0'))).size).toBe(1);
      // A new error's text (digits aside) is never on a normal line.
      const shape = (l: string): string => l.replace(/^\w{3} [ \d]\d [\d:]{8} \S+ /, '').replace(/\[\d+\]|\d+/g, '0');
      const shapes = new Set(normal.map(shape));
      expect(ofKind(set, 'new_error').length).toBeGreaterThanOrEqual(3);
      for (const l of ofKind(set, 'new_error')) expect(shapes.has(shape(l))).toBe(false);
      // A scan: one source, 40 or more ports; a normal source knocks a few.
      const scans = new Map<string, number>();
      for (const l of ofKind(set, 'scan')) scans.set(src(l) ?? '', (scans.get(src(l) ?? '') ?? 0) + 1);
      expect(scans.size).toBe(2);
      expect([...scans.values()].every((n) => n >= 40)).toBe(true);
      const knocks = new Map<string, number>();
      for (const l of normal) { const s = src(l); if (s !== undefined) knocks.set(s, (knocks.get(s) ?? 0) + 1); }
      expect(Math.max(...knocks.values())).toBeLessThanOrEqual(8);
      // Unusual values: slow or uncached internal names, /v1/me 40× its size, a 5xx on the status page, a slow LMTP delivery.
      const internalSlow = (l: string): boolean => /corp\.example\. A IN NOERROR (\d+\.\d+) 0 /.test(l) && Number(/NOERROR (\d+\.\d+)/.exec(l)?.[1]) >= 1;
      const bigMe = (l: string): boolean => l.includes('"ClientRequestPath":"/v1/me"') && Number(/"EdgeResponseBytes":(\d+)/.exec(l)?.[1]) > 20_000;
      const statusFail = (l: string): boolean => l.includes('"ClientRequestHost":"status.example.com"') && /"EdgeResponseStatus":5\d\d/.test(l);
      const slowLmtp = (l: string): boolean => / relay=mail\.corp\.example\[private\/dovecot-lmtp\], delay=(\d+\.\d+)/.test(l) && Number(/delay=(\d+\.\d+)/.exec(l)?.[1]) >= 5;
      const unusual = (l: string): boolean => internalSlow(l) || bigMe(l) || statusFail(l) || slowLmtp(l);
      expect(ofKind(set, 'unusual_value').length).toBe(4);
      expect(ofKind(set, 'unusual_value').every(unusual)).toBe(true);
      expect(normal.some(unusual)).toBe(false);
    }
  });

  it('six formats with benign novelty and normal bursts, 45-70k lines in a full run, a night trough and a morning ramp', () => {
    const full = generateEdge(9);
    expect(full.events.length).toBeGreaterThan(45_000);
    expect(full.events.length).toBeLessThan(70_000);
    const count = new Map<string, number>();
    for (const e of full.events) count.set(e.stream, (count.get(e.stream) ?? 0) + 1);
    expect([...count.keys()].sort()).toEqual(['dhcp/dhcpd', 'dns/unbound', 'fw/netfilter', 'mail/postfix', 'vpn/openvpn', 'waf/edge']);
    expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const bad = new Set(full.labels.anomalous);
    const text = (stream: string): string[] => full.events.filter((e, i) => !bad.has(i) && e.stream === stream).map((e) => String(e.data));
    for (const s of ['dhcp/dhcpd', 'dns/unbound', 'fw/netfilter', 'mail/postfix', 'vpn/openvpn']) {
      expect(text(s).every((l) => /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (gw01|ns1|mx1|vpn1|dhcp1) [\w/-]+(\[\d+\])?: /.test(l))).toBe(true);
    }
    expect(text('waf/edge').every((l) => typeof (JSON.parse(l) as { RayID: string }).RayID === 'string')).toBe(true);
    const mail = text('mail/postfix');
    expect(new Set(mail.flatMap((l) => /: ([0-9A-F]{10,11}): /.exec(l)?.[1] ?? [])).size).toBeGreaterThan(1000);
    expect(new Set(text('fw/netfilter').map(src)).size).toBeGreaterThan(3000);
    expect(new Set(text('vpn/openvpn').flatMap((l) => /succeeded for username '(\S+)'/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(100);
    expect(mail.filter((l) => l.includes('from=<backup@corp.example>')).length).toBeGreaterThanOrEqual(25);
    expect(mail.some((l) => l.includes('status=deferred (host mx.slowcorp.de'))).toBe(true);
    expect(mail.some((l) => l.includes('dsn=4.4.1, status=deferred'))).toBe(true);
    expect(text('dns/unbound').filter((l) => l.includes(' 10.20.0.5 ')).length).toBeGreaterThan(90 * 12);
    const hour = (h: number): number => full.events.filter((e) => e.timestamp.slice(11, 13) === `0${h}`).length;
    expect(hour(7)).toBeGreaterThan(1.5 * hour(3));
  });
});
