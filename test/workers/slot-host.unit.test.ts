// The host of a URL-shaped slot value (field-hosts.ts): a build farm's egress proxy CONNECTs to the
// same 14 package hosts all day (a high-cardinality slot? no: `host:443` keeps its 14 values, but
// they are no words, so a settled slot's rule skipped them, and 14 is past lowCard), then a job
// fetches from a host no build ever used: news, as the slot's host field judges it by Good-Turing
// (ci 201-215: supply_chain 11 → 43 of 60). Image references and URLs give their host the same way;
// a source file's line (main.go:45) or a network (10.0.0.0/8) gives none.
// Fails without the rule: no template_slot finding on the new host's line.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { hostOf } from '../../workers/detectors/field-hosts.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 25, 19, 0, 0);
const HOSTS = ['sum.golang.org', 'storage.googleapis.com', 'files.pythonhosted.org', 'plugins.gradle.org', 'objects.githubusercontent.com', 'api.github.com', 'proxy.golang.org', 'codecov.io', 'registry.npmjs.org', 'services.gradle.org', 'pypi.org', 'repo.maven.apache.org', 'nodejs.org', 'github.com'];

/** n squid CONNECT lines, 20-60 s apart, from the 14 hosts; line `at` to `target` instead. */
function proxy(n: number, at: number, target: string): ScoreInput[] {
  const r = seeded(25);
  const ev: ScoreInput[] = [];
  let t = T0;
  for (let i = 0; i < n; i++, t += r.int(20_000, 60_000)) {
    const dst = i === at ? target : `${r.pick(HOSTS)}:443`;
    const ms = String(r.int(50, 40_000)).padStart(6, ' ');
    ev.push({ ts: t, text: `${(t / 1000).toFixed(3)} ${ms} 10.20.5.${r.int(11, 23)} TCP_TUNNEL/200 ${r.int(9_000, 90_000_000)} CONNECT ${dst} - HIER_DIRECT/${r.int(20, 200)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)} -` });
  }
  return ev;
}

const hostFindings = (ev: ScoreInput[], i: number): string[] =>
  runStream('logs', ev, 100).findings.filter((f) => f.index === i && f.detector === 'template_slot').map((f) => f.explanation);

describe('the host of a URL-shaped slot value (field-hosts.ts)', () => {
  it('reads the host of URLs, host:port targets and image references; not of files, networks or names', () => {
    expect(hostOf('https://get.buildtools.sh/install.sh')).toBe('get.buildtools.sh');
    expect(hostOf('http://deb.debian.org/debian/pool/main/j/jq/')).toBe('deb.debian.org');
    expect(hostOf('registry.npmjs-mirror.top:443')).toBe('registry.npmjs-mirror.top');
    expect(hostOf('194.143.205.216:9001')).toBe('194.143.205.216');
    expect(hostOf('ghcr-io.pkgcache.dev/tools/go-builder:latest')).toBe('ghcr-io.pkgcache.dev');
    expect(hostOf('Registry.Acme.dev/base/node:20.11@sha256:483f10a8')).toBe('registry.acme.dev');
    for (const x of ['main.go:45', 'handler.py:88', '10.0.0.0/8', 'sum.golang.org', '/var/lib/x.y/z', 'v1.2.3:443', 'node:20.11', 'a.b', 'user@example.com']) expect(hostOf(x)).toBe('');
  });

  it('reports a host never seen in a settled slot of hosts, and not the usual ones', () => {
    const N = 600;
    const AT = 450;
    const ev = proxy(N, AT, 'registry.npmjs-mirror.top:443');
    const all = runStream('logs', ev, 100).findings.filter((f) => f.detector === 'template_slot');
    const at = all.filter((f) => f.index === AT).map((f) => f.explanation);
    expect(at.some((x) => x.includes('registry.npmjs-mirror.top') && x.includes('never seen'))).toBe(true);
    expect(all.filter((f) => f.index !== AT && f.index > 150)).toHaveLength(0);
    // A known host at the same place is no news.
    expect(hostFindings(proxy(N, AT, 'pypi.org:443'), AT)).toHaveLength(0);
    // An address as the target: its host is the address.
    expect(hostFindings(proxy(N, AT, '194.143.205.216:9001'), AT).some((x) => x.includes('194.143.205.216'))).toBe(true);
  });

  it('judges the hosts of a slot whose values are too long to keep (image references with digests)', () => {
    const r = seeded(9);
    const images = ['registry.acme.dev/base/node:20.11', 'registry.acme.dev/base/golang:1.22', 'registry.acme.dev/base/python:3.12-slim'];
    const ev: ScoreInput[] = [];
    for (let i = 0; i < 300; i++) {
      const image = i === 250 ? 'ghcr-io.pkgcache.dev/tools/go-builder:latest' : `${r.pick(images)}@sha256:${r.hex(64)}`;
      ev.push({ ts: T0 + i * 30_000, text: `runner-lin-0${r.int(1, 9)} [2026-07-25 19:27:10Z INFO Worker] Pulling image ${image}` });
    }
    expect(hostFindings(ev, 250).some((x) => x.includes('ghcr-io.pkgcache.dev'))).toBe(true);
  });

  it('leaves a low-cardinality slot of addresses to its own rule (3 SIP peers, then a fourth)', () => {
    const r = seeded(7);
    const peers = ['63.216.171.31:5060', '10.30.0.21:5060', '194.79.141.83:5060'];
    const ev: ScoreInput[] = [];
    for (let i = 0; i < 300; i++) {
      const src = i === 250 ? '91.114.136.155:5060' : r.pick(peers);
      ev.push({ ts: T0 + i * 15_000, text: `Aug 14 03:12:07 sbc-1 kamailio[311]: WARNING: <script>: [REPLY] ci=${r.hex(24)} 486 Busy Here src=${src}` });
    }
    // 250 sightings: under the slot's own bar (minSightings), and its host is the same value.
    expect(hostFindings(ev, 250)).toHaveLength(0);
  });
});
