// The ci generator: pure (same seed, same bytes), every kind labelled, labels consistent with the
// lines they point at (never at a benign line: a repository created, a runner registered, a base
// image published, a release deployed, the nightly builds), sane incident counts, seven streams in
// six formats, benign novelty, each kind present on every seed.
import { describe, expect, it } from 'vitest';
import { CI_KINDS, generateCi, WARMUP_MS } from '../../src/tools/eval/generators/ci.js';
import { ARGO_IP, BASES, DEPLOY_USER, NEW_CLUSTERS, NEW_WORKSPACES, ROGUE_HOSTS, STREAMS } from '../../src/tools/eval/generators/ci-lines.js';
import type { GeneratedSet } from '../../src/tools/eval/generators/index.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up and every kind
/** A line with its ids, numbers, addresses, times and hex masked: its template, roughly. */
const shape = (l: string): string => l.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/\b[0-9a-f]{8,}\b/g, 'H').replace(/\d+/g, '0').replace(/(acme\/|argocd\/|dest-namespace=|runner-[a-z]+-)[\w-]+/g, '$1X');
const BENIGN = /Runner registered|Connected to the job broker|created application|\/api\/v1\/orgs\/|base-images|svc-base-images|nightly\.yml|release\.yml|event=tag/;
const UNSEEN = (l: string): boolean => NEW_CLUSTERS.some((c) => l.includes(c)) || NEW_WORKSPACES.some((x) => l.includes(`,${x},`)) || l.includes('"http.request.method":"DELETE"') || l.includes('op=purge');
const ROGUE = (l: string): boolean => ROGUE_HOSTS.some((h) => l.includes(h)) || /CONNECT [\d.]+:\d+ /.test(l);
/** The deploy token used from anywhere but Argo CD's address. */
const MISUSED = (l: string): boolean => l.includes(DEPLOY_USER) && !l.startsWith(`${ARGO_IP} `);
const at = (set: GeneratedSet, re: RegExp): number[] => set.events.flatMap((e, i) => (re.test(String(e.data)) ? [Date.parse(set.events[i].timestamp)] : []));

function unusual(l: string): boolean {
  if (l.includes('Test summary')) return num(l, / (\d+) failed/) >= 150 || num(l, / in ([\d.]+)s$/) >= 1200;
  if (l.includes("Step '")) return num(l, /finished in ([\d.]+)s/) >= 1200 || num(l, /exit code (\d)/) === 1;
  if (l.includes('completed with result')) return /in (\d+)m/.test(l) && num(l, /in (\d+)m/) >= 20;
  if (l.includes('Pushed ')) return num(l, /size ([\d.]+)MB/) >= 1500;
  if (l.includes('"PUT"')) return true; // the pushed image's manifest, beside its line
  if (l.includes('op=restore')) return num(l, /dur_ms=(\d+)/) >= 8000;
  if (l.includes('git-upload-pack')) return num(l, /" 200 (\d+) "/) >= 1e8 || l.includes('info/refs');
  return num(l, /,(\d+),\d+,[0-9a-f]{8},"Plan/) >= 60;
}

describe('eval generate --kind ci', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('ci', generateCi, SHORT, /CI\/CD and software-delivery platform/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generateCi(seed, SHORT);
      expectLabelledLogSet(set, CI_KINDS, WARMUP_MS);
      const n = incidents(set);
      expect(n.unseen_category).toBeGreaterThanOrEqual(3);
      expect(n.unusual_value).toBeGreaterThanOrEqual(5);
      expect(n.rare_error).toBeGreaterThanOrEqual(10);
      expect(idxOf(set, 'rare_error').length).toBe(10);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(2 * 40);
      expect(ofKind(set, 'supply_chain').length).toBeGreaterThanOrEqual(2 * 2);
      expect(ofKind(set, 'credential_misuse').filter((l) => l.includes('git-upload-pack')).length).toBeGreaterThanOrEqual(2 * 8);
    }
  });

  it('the labelled lines hold what their kind says, never a benign event, and normal lines never do', () => {
    for (const seed of [5, 6, 7, 8]) {
      const set = generateCi(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      for (const l of set.labels.anomalous.map((i) => String(set.events[i].data))) expect(BENIGN.test(l), l).toBe(false);
      const shapes = ofKind(set, 'rare_error').map(shape);
      expect(shapes.find((s) => shapes.filter((x) => x === s).length === 7)).toBeDefined();
      for (const s of shapes) expect(normalShapes.has(s), s).toBe(false);
      for (const l of ofKind(set, 'unseen_category')) expect(UNSEEN(l) || l.includes('"GET"'), l).toBe(true);
      expect(normal.filter(UNSEEN)).toEqual([]);
      for (const l of ofKind(set, 'unusual_value')) expect(unusual(l), l).toBe(true);
      for (const l of ofKind(set, 'rare_burst')) expect(l).toMatch(/" 401 \d+ "-" "git\/2\.43\.0"|"toomanyrequests"|queued: waiting for a runner/);
      for (const l of ofKind(set, 'supply_chain')) expect(ROGUE(l), l).toBe(true);
      expect(normal.filter(ROGUE)).toEqual([]);
      for (const l of ofKind(set, 'credential_misuse')) expect(MISUSED(l), l).toBe(true);
      expect(normal.filter(MISUSED)).toEqual([]);
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const normal = normalOf(generateCi(8));
    const ends = normal.filter((l) => l.includes('completed with result') && !l.includes('base-images'));
    expect(ends.length).toBeGreaterThan(500);
    expect(Math.max(...ends.map((l) => (/in (\d+)m/.test(l) ? num(l, /in (\d+)m/) : 0)))).toBeLessThan(20);
    expect(new Set(ends.map((l) => /result (\w+)/.exec(l)?.[1]))).toEqual(new Set(['Succeeded', 'Failed', 'Canceled']));
    expect(Math.max(...normal.filter((l) => l.includes('Test summary')).map((l) => num(l, / (\d+) failed/)))).toBeLessThanOrEqual(6);
    expect(Math.max(...normal.filter((l) => l.includes('Pushed ') && !l.includes('/base/')).map((l) => num(l, /size ([\d.]+)MB/)))).toBeLessThan(600);
    expect(Math.max(...normal.filter((l) => l.includes('op=restore')).map((l) => num(l, /dur_ms=(\d+)/)))).toBeLessThan(8000);
    expect(Math.max(...normal.filter((l) => l.includes('ci-runner') && l.includes('POST') && l.includes('git-upload-pack')).map((l) => num(l, /" 200 (\d+) "/)))).toBeLessThan(1e8);
    expect(Math.max(...normal.filter((l) => /^\d{4}-.*,"Plan/.test(l)).map((l) => num(l, /,(\d+),\d+,[0-9a-f]{8},"Plan/)))).toBeLessThanOrEqual(2);
    expect(normal.filter((l) => l.includes('(flaky)')).length).toBeGreaterThan(10);
    expect(normal.filter((l) => / 401 \d+ "-" "git/.test(l)).length).toBeGreaterThan(3);
    expect(normal.filter((l) => l.includes('toomanyrequests') || l.includes('queued: waiting')).length).toBeGreaterThan(3);
    const warnings = normal.filter((l) => / (WARN|ERROR) \w+\]|"level":"(warn|error)"|level=(warn|error)|" (4\d\d|5\d\d) \d+ "|,errored,/.test(l)).length;
    expect(warnings / normal.length).toBeGreaterThan(0.005);
    expect(warnings / normal.length).toBeLessThan(0.1);
  });

  it('benign events: the repository, runner and base image announced before use; releases and the nightly builds', () => {
    const set = generateCi(9);
    const t0 = Date.parse(set.events[0].timestamp);
    const created = set.events.find((e) => String(e.data).includes('"POST /api/v1/orgs/acme/repos '));
    const app = /application=argocd\/([\w-]+)-staging/.exec(String(set.events.find((e) => String(e.data).includes('created application'))?.data))?.[1] ?? 'none';
    expect(created).toBeDefined();
    expect(Date.parse(created?.timestamp ?? '') - t0).toBeGreaterThan(WARMUP_MS / 4);
    const built = at(set, new RegExp(`for acme/${app} \\(`));
    expect(built.length).toBeGreaterThan(0);
    expect(Math.min(...built)).toBeGreaterThan(Date.parse(created?.timestamp ?? ''));
    const [registered] = at(set, /Runner registered: name=/);
    const name = /name=(\S+)/.exec(String(set.events.find((e) => String(e.data).includes('Runner registered'))?.data))?.[1] ?? 'none';
    expect(Math.min(...at(set, new RegExp(`^${name} \\[.*JobDispatcher\\] Job request`)))).toBeGreaterThan(registered);
    const pushed = set.events.find((e) => /"PUT".*"auth.user.name":"svc-base-images"/.test(String(e.data)));
    const ref = /"vars.reference":"([^"]+)"/.exec(String(pushed?.data))?.[1] ?? 'none';
    expect(Object.values(BASES).some((b) => b[2] === ref)).toBe(true);
    const used = at(set, new RegExp(`Pulling image \\S+:${ref.replace('.', '\\.')}@`));
    expect(used.length).toBeGreaterThan(3);
    expect(Math.min(...used)).toBeGreaterThan(Date.parse(pushed?.timestamp ?? ''));
    expect(at(set, /event=tag ref=refs\/tags\/v/).length).toBeGreaterThanOrEqual(2);
    expect(at(set, /Sync operation to v[\d.]+ succeeded.*dest-name=prod-/).length).toBeGreaterThanOrEqual(4);
    const nightly = at(set, /workflow nightly\.yml/);
    expect(nightly.length).toBeGreaterThan(15);
    expect(new Date(nightly[0]).getUTCHours()).toBe(22);
    expect(new Date(nightly[0]).getUTCMinutes()).toBe(30);
  });

  it('each kind on every seed of a full run: 18-45k lines on a weekday, fewer on a weekend, in six formats with fresh ids', () => {
    for (const [seed, lines] of [[10, [18_000, 45_000]], [12, [7000, 20_000]]] as const) {
      const full = generateCi(seed);
      expect(new Set(Object.values(full.labels.kinds))).toEqual(new Set(CI_KINDS));
      const text = expectFullLogRun(full, [lines[0], lines[1]], [3.9, 6.1], STREAMS);
      expect(text(STREAMS.runner).every((l) => /^runner-(lin|arm|ctl)-\d\d \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ (INFO|WARN|ERROR) \w+\] /.test(l))).toBe(true);
      expect(text(STREAMS.git).every((l) => /^[\d.]+ - \S+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "(GET|POST) \S+ HTTP\/1\.1" \d{3} \d+ "-" "[^"]+" [\d.]+$/.test(l))).toBe(true);
      expect(text(STREAMS.registry).every((l) => typeof JSON.parse(l)['http.request.method'] === 'string')).toBe(true);
      expect(text(STREAMS.cache).every((l) => /^ts=\S+ level=(info|warn|error) component=cache op=\w+ /.test(l))).toBe(true);
      expect(text(STREAMS.deploy).every((l) => /^time="[^"]+" level=(info|error) msg="[^"]+" /.test(l))).toBe(true);
      expect(text(STREAMS.tf).every((l) => l.split(',').length >= 12)).toBe(true);
      expect(text(STREAMS.proxy).every((l) => /^\d+\.\d{3} +\d+ [\d.]+ TCP_\w+\/200 \d+ (CONNECT|GET) \S+ - HIER_DIRECT\/[\d.]+ -$/.test(l))).toBe(true);
      const shas = text(STREAMS.runner).map((l) => / sha=([0-9a-f]{8}) /.exec(l)?.[1]).filter((x) => x !== undefined);
      expect(shas.length).toBeGreaterThan(lines[0] / 60);
      expect(new Set(shas).size).toBeGreaterThan(shas.length * 0.99);
      expect(new Set(text(STREAMS.cache).map((l) => / key=(\S+)/.exec(l)?.[1])).size).toBeGreaterThan(shas.length * 0.9);
      expect(new Set(text(STREAMS.runner).map((l) => / head=(\S+)/.exec(l)?.[1]).filter((x) => x !== undefined)).size).toBeGreaterThan(shas.length * 0.3);
    }
  });
});
