// The host generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at (new values never on normal lines, the silences really silent), five hosts'
// syslog in RFC 3164 and 5424 with benign novelty.
import { describe, expect, it } from 'vitest';
import { evalUsage } from '../../src/tools/eval/cli.js';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { generateHost, HOST_KINDS } from '../../src/tools/eval/generators/host.js';
import { NEW_CURRENCIES } from '../../src/tools/eval/generators/host-web.js';
import { expectLabelledLogSet, idxOf, normalOf, ofKind } from './helpers.js';

const SHORT = 3; // hours: enough for every kind (the warm-up is 30 minutes), fast in a unit test
type Gen = ReturnType<typeof generateHost>;
/** The message after the syslog header, digits and hex runs as 0. */
const shape = (l: string): string => l.replace(/^<\d+>(1 \S+ \S+ \S+ \S+ - - |\w{3} [ \d]\d [\d:]{8} \S+ [^:]+: )(\[[ \d.]+\] )?/, '').replace(/[0-9a-fA-F]{6,}|\d+/g, '0');
const newValue = (l: string): boolean =>
  / USER=(postgres|www-data) ; /.test(l) || /invoiced : TTY=/.test(l) || /by invoiced\(uid=998\)/.test(l) || l.includes('Accepted password for')
  || NEW_CURRENCIES.some((c) => l.includes(`currency=${c} `)) || l.includes('(www-data) CMD') || /user www-data(\(uid=33\))?( by|$)/.test(l);

describe('eval generate --kind host', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS.host.describe).toMatch(/Linux host syslog/);
    expect(evalUsage()).toMatch(/^ {2}host +Linux host syslog .*incidents: new_error, rare_error/m);
    const a = JSON.stringify(generateHost(3, SHORT));
    expect(JSON.stringify(generateHost(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateHost(4, SHORT))).not.toBe(a);
  });

  it('labels every kind; labels point at lines in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) expectLabelledLogSet(generateHost(seed, SHORT), HOST_KINDS, 1_800_000);
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6]) {
      const set = generateHost(seed, SHORT);
      const normal = normalOf(set);
      expect(ofKind(set, 'unseen_category').filter(newValue).length).toBeGreaterThanOrEqual(4);
      expect(normal.some(newValue)).toBe(false);
      // New errors: most of an episode's lines have a shape never on a normal line (restarts reuse known lines).
      const shapes = new Set(normal.map(shape));
      const fresh = ofKind(set, 'new_error').filter((l) => !shapes.has(shape(l)));
      expect(fresh.length).toBeGreaterThanOrEqual(4 * 2);
      const rare = ofKind(set, 'rare_error');
      expect(rare.length).toBeGreaterThanOrEqual(9 + 60);
      expect(new Set(rare.map(shape)).size).toBe(seed % 2 === 0 ? 2 : 1);
      expect(rare.some((l) => shapes.has(shape(l)))).toBe(false);
      // Storms: bursts of normal lines; brute force: one source.
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/status=deferred \(connect to mx1\.hanse-cargo\.de\[|msg="psp call failed, retrying"/);
      expect(ofKind(set, 'retry_storm').length).toBeGreaterThanOrEqual(60);
      expect(normal.some((l) => l.includes('status=deferred (connect to mx1.hanse-cargo.de[') || l.includes('psp call failed'))).toBe(true);
      const ips = new Set(ofKind(set, 'brute_force').map((l) => /(\d+\.\d+\.\d+\.\d+)(\]:\d+)? (port|on)/.exec(l)?.[1]));
      expect(ips.size).toBe(1);
      expect(ofKind(set, 'brute_force').length).toBeGreaterThanOrEqual(80);
      // Unusual values, never on a normal line of their template.
      const num = (l: string, re: RegExp): number => Number(re.exec(l)?.[1] ?? NaN);
      const me503 = (l: string): boolean => l.includes('path=/api/v1/me status=503');
      const slowGet = (l: string): boolean => /path=\/api\/v1\/invoices\/\d+ status/.test(l) && num(l, /dur_ms=([\d.]+)/) > 600;
      const hotSweep = (l: string): boolean => num(l, /invoiced-sweeper\.service: Consumed ([\d.]+)s CPU/) > 20;
      const slowLmtp = (l: string): boolean => l.includes('relay=mail-01[private/dovecot-lmtp]') && num(l, /delay=([\d.]+)/) > 5;
      const bigMe = (l: string): boolean => l.includes('path=/api/v1/me status=200') && num(l, /bytes=(\d+)/) > 8000;
      const unusual = (l: string): boolean => me503(l) || slowGet(l) || hotSweep(l) || slowLmtp(l) || bigMe(l);
      expect(ofKind(set, 'unusual_value').filter(unusual).length).toBe(4);
      expect(normal.some(unusual)).toBe(false);
      // Silence: web-02's labelled line is its first after 15 minutes or more; template silence: no request for 5 minutes before.
      const [s] = idxOf(set, 'silence');
      const before = (i: number, pred: (e: Gen['events'][number]) => boolean): Gen['events'][number] | undefined => set.events.slice(0, i).filter(pred).pop();
      expect(set.events[s].stream).toBe('syslog/web-02');
      const gap = Date.parse(set.events[s].timestamp) - Date.parse(before(s, (e) => e.stream === 'syslog/web-02')?.timestamp ?? '');
      expect(gap).toBeGreaterThanOrEqual(15 * 60_000);
      const [q] = idxOf(set, 'template_silence');
      expect(set.events[q].stream).toBe('syslog/web-01');
      const lastReq = before(q, (e) => e.stream === 'syslog/web-01' && String(e.data).includes('msg=request'));
      expect(Date.parse(set.events[q].timestamp) - Date.parse(lastReq?.timestamp ?? '')).toBeGreaterThanOrEqual(5 * 60_000);
    }
  });

  it('five hosts in two syslog formats with benign novelty and nightly jobs, 18-35k lines in a full run', () => {
    const full = generateHost(9);
    expect(full.events.length).toBeGreaterThan(18_000);
    expect(full.events.length).toBeLessThan(35_000);
    const bad = new Set(full.labels.anomalous);
    const text = (host: string): string[] => full.events.filter((e, i) => !bad.has(i) && e.stream === `syslog/${host}`).map((e) => String(e.data));
    expect([...new Set(full.events.map((e) => e.stream))].sort()).toEqual(['syslog/backup-01', 'syslog/bastion-01', 'syslog/mail-01', 'syslog/web-01', 'syslog/web-02']);
    for (const host of ['bastion-01', 'backup-01']) expect(text(host).every((l) => new RegExp(`^<\\d+>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${host} [\\w/.-]+(\\[\\d+\\])?: `).test(l))).toBe(true);
    for (const host of ['web-01', 'web-02', 'mail-01']) expect(text(host).every((l) => new RegExp(`^<\\d+>1 \\d{4}-\\d\\d-\\d\\dT[\\d:.]{15}\\+00:00 ${host} \\S+ (\\d+|-) - - `).test(l))).toBe(true);
    expect(full.events.every((e) => (e.metadata !== undefined) === /^syslog\/(web|mail)/.test(e.stream))).toBe(true);
    // Benign novelty: scanners' addresses and user names, request ids, queue ids, sessions; periodic jobs.
    const bastion = text('bastion-01');
    expect(new Set(bastion.flatMap((l) => /Invalid user \S+ from (\S+)/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(300);
    expect(new Set(text('web-01').flatMap((l) => /req_id=(\S+)/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(2000);
    expect(new Set(text('mail-01').flatMap((l) => /postfix\/qmgr \d+ - - ([0-9A-F]+): from=/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(200);
    for (const host of ['web-01', 'mail-01', 'bastion-01', 'backup-01']) expect(text(host).filter((l) => l.includes('Starting logrotate.service')).length).toBe(1);
    expect(text('web-02').filter((l) => l.includes('CMD (/usr/local/bin/textfile-collector.sh')).length).toBeGreaterThan(50);
    expect(text('backup-01').some((l) => l.includes('borg-pull') && l.includes('done: 4 hosts'))).toBe(true);
    expect(text('web-01').some((l) => l.includes('Accepted publickey for borg from 10.0.1.30'))).toBe(true);
    const hour = (h: string): number => full.events.filter((e) => e.stream === 'syslog/web-01' && e.timestamp.slice(11, 13) === h).length;
    expect(hour('22')).toBeGreaterThan(1.5 * hour('03'));
  });
});
