// The `ci` generator's builds (see ci.ts): each job is drafted first (a plan an incident may
// change), then written to every stream it touches:
//   git/server     the push that triggered it (git-receive-pack from the developer's VPN address),
//                  the runner's fetch (info/refs and git-upload-pack)
//   ci/runners     the job accepted (event, ref, commit, actor), the base image pulled (pinned by
//                  digest), the dependency, test and image steps with their times, the test summary
//                  (flaky tests retried and passing on a later attempt now and then), the image
//                  pushed, the job's result and duration
//   registry/oci   the base image's manifest (and now and then a blob) pulled, the built image's
//                  manifest put, the cluster's nodes pulling it after a deploy
//   cache/build    the dependency cache restored (a hit mostly) and saved after a miss
//   egress/squid   the package hosts the dependency step reaches (few on a cache hit)
//   deploy/argocd  a push to main of a deployed repository synced to staging; a release tag to
//                  both production clusters
import { byShare } from './random.js';
import { BASES, CLUSTERS, COMMON_HOSTS, digest, dur, ORG, PKG_HOSTS, REG, reposAt, runnersAt, sha, STREAMS, type BaseImage, type Lang, type Repo, type Row, type Runner, type W } from './ci-lines.js';

/** Labels of a job's lines by part (none: normal). */
export type Part = 'push' | 'fetch' | 'start' | 'pull' | 'cache' | 'proxy' | 'deps' | 'tests' | 'image' | 'end' | 'deploy';
export type JobKinds = Partial<Record<Part, string>>;

export interface Job {
  ts: number;
  repo: Repo;
  runner: Runner;
  workflow: 'ci.yml' | 'nightly.yml' | 'release.yml';
  event: 'push' | 'pull_request' | 'schedule' | 'tag';
  ref: string;
  /** The branch pushed (a pull request's head, main, or the tag). */
  head: string;
  sha: string;
  actor: string;
  run: number;
  image: BaseImage;
  /** Succeeded, Failed or Canceled. */
  result: string;
  secs: number;
  hit: boolean;
  cacheMb: number;
  cacheMs: number;
  gitBytes: number;
  tests: { passed: number; skipped: number; failed: number; flaky: number };
  /** The image tag pushed (main: the commit's 8 hex, a tag: its version), if any; its size in MB. */
  tag?: string;
  mb: number;
  /** Clusters the job's image is synced to (a deploy). */
  deployTo: string[];
  kinds: JobKinds;
}

const DEPS: Record<Lang, [string, string, string]> = {
  node: ['npm ci', 'npm test -- --ci', 'npm'],
  python: ['pip install -r requirements.txt', 'pytest -q', 'pip'],
  go: ['go mod download', 'go test ./...', 'gomod'],
  java: ['./gradlew dependencies', './gradlew test', 'gradle'],
};
const FLAKY = ['checkout applies coupon', 'TestRetryBackoff', 'test_webhook_delivery_timeout', 'OrderFlowIT.submitsOrder', 'e2e login redirects', 'TestLeaderElection', 'test_s3_multipart_resume'];
const WORDS = ['login', 'cart', 'retry', 'metrics', 'export', 'i18n', 'cache', 'search', 'refund', 'rate-limit', 'pagination', 'oauth', 'csv', 'timeouts', 'logging'];
const DEPS_BUMPED = ['eslint', 'typescript', 'pytest', 'golang.org-x-net', 'jackson-databind', 'express', 'requests', 'grpc', 'vitest', 'spring-boot'];
const EVENTS = [
  { e: 'pull_request' as const, share: 0.62 }, { e: 'push' as const, share: 0.38 },
];

/** The base image a job of `lang` uses at ts (the new one, once published, for half its jobs). */
export function imageOf(w: W, lang: Lang, ts: number): BaseImage {
  const fresh = w.added.image;
  if (fresh.lang === lang && ts >= fresh.from + 120_000 && w.r.chance(0.5)) return fresh;
  return w.images.find((i) => i.lang === lang && i.tag === BASES[lang][1]) ?? w.images[0];
}

/** A fresh job at ts (of `repo`, else a random one): event, ref, runner, result, times, tests. */
export function draftJob(w: W, ts: number, repo?: Repo, event?: Job['event']): Job {
  const { r } = w;
  const rp = repo ?? r.pick(reposAt(w, ts));
  const ev = event ?? byShare(r, EVENTS).e;
  const arm = rp.lang === 'go' && r.chance(0.2);
  const runner = r.pick(runnersAt(w, ts, arm ? 'arm64' : 'x64'));
  const ref = ev === 'push' || ev === 'schedule' ? 'refs/heads/main' : ev === 'tag' ? `refs/tags/v${rp.version.join('.')}` : `refs/pull/${w.seq.pr++ - r.int(0, 200)}/merge`;
  const u = r.next();
  const result = u < 0.9 ? 'Succeeded' : u < 0.975 ? 'Failed' : 'Canceled';
  const nightly = ev === 'schedule';
  const secs = Math.max(40, rp.mins * 60 * w.around(1, 0.25) * (nightly ? 2.5 : 1) * (result === 'Canceled' ? 0.3 : 1));
  const hit = rp.from < ts - 3_600_000 && r.chance(0.86);
  const failed = result === 'Failed' && r.chance(0.7) ? r.int(1, 6) : 0;
  const flaky = result === 'Succeeded' && r.chance(0.06) ? r.int(1, 2) : 0;
  const skipped = Math.round(rp.tests * 0.01 * r.next());
  rp.run++;
  return {
    ts, repo: rp, runner, workflow: nightly ? 'nightly.yml' : ev === 'tag' ? 'release.yml' : 'ci.yml', event: ev, ref, head: '', sha: sha(r), actor: nightly ? 'schedule' : ev === 'pull_request' && r.chance(0.12) ? 'renovate[bot]' : r.pick(w.users),
    run: rp.run, image: imageOf(w, rp.lang, ts), result, secs, hit,
    cacheMb: Math.round(w.around(rp.lang === 'java' ? 600 : rp.lang === 'node' ? 380 : 120, 0.2) * 10) / 10,
    cacheMs: Math.round(w.around(hit ? 900 : 150, 0.35)),
    gitBytes: Math.round(w.around(2_000_000 + rp.tests * 4000, 0.3)),
    tests: { passed: rp.tests - skipped - failed + (nightly ? Math.round(rp.tests * 0.4) : 0), skipped, failed, flaky },
    ...(rp.app && result === 'Succeeded' && (ev === 'push' || ev === 'tag') ? { tag: ev === 'tag' ? `v${rp.version.join('.')}` : '' } : {}),
    mb: Math.round(w.around(rp.mb, 0.05) * 10) / 10,
    deployTo: rp.app && result === 'Succeeded' ? (ev === 'push' ? [CLUSTERS[0]] : ev === 'tag' ? CLUSTERS.slice(1) : []) : [],
    kinds: {},
  };
}

/** The branch a job's push went to: a pull request's fresh head branch, the tag, main. */
const branchOf = (w: W, j: Job): string => (j.event === 'pull_request'
  ? (j.actor.startsWith('renovate') ? `renovate/${w.r.pick(DEPS_BUMPED)}-${w.r.int(1, 9)}.x` : `${w.r.pick(['feat', 'fix', 'chore'])}/${w.r.pick(WORDS)}-${w.r.int(10, 999)}`)
  : j.event === 'tag' ? j.ref.slice(10) : 'main');

function gitSide(w: W, rows: Row[], j: Job): void {
  const { r } = w;
  const k = j.kinds;
  const repoPath = `/${ORG}/${j.repo.name}.git`;
  if (j.event !== 'schedule') {
    const at = j.ts - r.int(2000, 9000);
    const bot = j.actor === 'renovate[bot]';
    rows.push(w.row(at, STREAMS.git, w.git(at, { ip: bot ? '10.20.1.30' : r.pick(w.vpn), user: bot ? 'renovate-bot' : j.actor, method: 'POST', path: `${repoPath}/git-receive-pack`, status: 200, bytes: r.int(180, 900), agent: bot ? 'git/2.45.2 (renovate/38.110.2)' : 'git/2.43.0', rt: w.around(0.35, 0.4) }), undefined, k.push));
  }
  const ip = j.runner.ip;
  rows.push(w.row(j.ts + 300, STREAMS.git, w.git(j.ts + 300, { ip, user: 'ci-runner', method: 'GET', path: `${repoPath}/info/refs?service=git-upload-pack`, status: 200, bytes: r.int(800, 9000), agent: 'git/2.43.0', rt: w.around(0.02, 0.4) }), undefined, k.fetch));
  rows.push(w.row(j.ts + 700, STREAMS.git, w.git(j.ts + 700, { ip, user: 'ci-runner', method: 'POST', path: `${repoPath}/git-upload-pack`, status: 200, bytes: j.gitBytes, agent: 'git/2.43.0', rt: w.around(0.4, 0.35) * (j.gitBytes / 4e6) ** 0.5 }), undefined, k.fetch));
}

/** The registry's line for one request (a pull or a push). */
export function registryLine(w: W, ts: number, f: { method: string; name: string; ref: string; what?: 'manifests' | 'blobs'; status?: number; written: number; ip: string; user: string; agent?: string; ms?: number }, kind?: string): Row {
  const ms = f.ms ?? w.around(f.what === 'blobs' ? 180 : 12, 0.5);
  return w.row(ts, STREAMS.registry, w.registry(ts, 'info', 'response completed', {
    'http.request.method': f.method, 'http.request.uri': `/v2/${f.name}/${f.what ?? 'manifests'}/${f.ref}`, 'http.request.remoteaddr': f.ip,
    'http.request.useragent': f.agent ?? 'docker/26.1.4 go/go1.21.11 git-commit/de5c9cf kernel/6.5.0-1025-azure os/linux', 'http.response.status': f.status ?? 200,
    'http.response.written': f.written, 'http.response.duration': `${ms.toFixed(1)}ms`, 'auth.user.name': f.user, 'vars.name': f.name, 'vars.reference': f.ref,
  }), undefined, kind);
}

function setup(w: W, rows: Row[], j: Job): number {
  const { r } = w;
  const k = j.kinds;
  const host = j.runner.name;
  const run = (ts: number, level: string, comp: string, msg: string, kind?: string): void => { rows.push(w.row(ts, STREAMS.runner, w.runner(ts, host, level, comp, msg), undefined, kind)); };
  let t = j.ts + r.int(900, 2500);
  run(t, 'INFO', 'JobDispatcher', `Job request ${r.int(100_000, 999_999)} for ${ORG}/${j.repo.name} (workflow ${j.workflow}, job build, run #${j.run}) accepted: event=${j.event} ref=${j.ref} head=${j.head} sha=${j.sha.slice(0, 8)} actor=${j.actor}`, k.start);
  t += r.int(300, 1500);
  run(t, 'INFO', 'Worker', `Pulling image ${REG}/${j.image.name}:${j.image.tag}@${j.image.digest}`, k.pull);
  rows.push(registryLine(w, t + r.int(20, 200), { method: 'GET', name: j.image.name, ref: j.image.tag, written: r.int(1400, 7400), ip: j.runner.ip, user: 'ci-runner' }, k.pull));
  if (r.chance(0.2)) rows.push(registryLine(w, t + r.int(300, 900), { method: 'GET', name: j.image.name, ref: digest(r), what: 'blobs', written: r.int(2e6, 9e7), ip: j.runner.ip, user: 'ci-runner' }, k.pull));
  t += r.int(2000, 9000);
  const key = `${DEPS[j.repo.lang][2]}-linux-${j.runner.arch}-${r.hex(16)}`;
  rows.push(w.row(t, STREAMS.cache, w.cache(t, 'info', { op: 'restore', repo: `${ORG}/${j.repo.name}`, key, hit: j.hit, size_mb: j.hit ? j.cacheMb : 0, dur_ms: j.cacheMs, runner: host }), undefined, k.cache));
  const hosts = j.hit ? (r.chance(0.3) ? [r.pick(PKG_HOSTS[j.repo.lang])] : []) : Array.from({ length: r.int(2, 4) }, () => r.pick(PKG_HOSTS[j.repo.lang]));
  if (r.chance(0.2)) hosts.push(r.pick(COMMON_HOSTS));
  for (const h of hosts) {
    const at = t + r.int(500, 8000);
    rows.push(w.row(at, STREAMS.proxy, w.proxy(at, h === 'deb.debian.org'
      ? { ms: r.int(30, 900), ip: j.runner.ip, code: r.chance(0.6) ? 'TCP_MEM_HIT/200' : 'TCP_MISS/200', bytes: r.int(2000, 900_000), method: 'GET', url: `http://deb.debian.org/debian/pool/main/${r.pick(['c/curl', 'g/git', 'o/openssl', 'j/jq'])}/`, peer: 'HIER_DIRECT/151.101.130.132' }
      : { ms: r.int(300, 40_000), ip: j.runner.ip, code: 'TCP_TUNNEL/200', bytes: r.int(5000, j.hit ? 400_000 : 90_000_000), method: 'CONNECT', url: `${h}:443`, peer: `HIER_DIRECT/${r.int(13, 199)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` }), undefined, k.proxy));
  }
  return t + r.int(9000, 12_000);
}

function stepsAndEnd(w: W, rows: Row[], j: Job, t0: number): number {
  const { r } = w;
  const k = j.kinds;
  const run = (ts: number, level: string, comp: string, msg: string, kind?: string): void => { rows.push(w.row(ts, STREAMS.runner, w.runner(ts, j.runner.name, level, comp, msg), undefined, kind)); };
  const [depStep, testStep] = DEPS[j.repo.lang];
  const depS = j.hit ? w.around(8, 0.4) : w.around(45, 0.4);
  const nominal = j.ts + j.secs * 1000;
  const t = t0 + depS * 1000;
  const canceled = j.result === 'Canceled';
  run(t, 'INFO', 'Step', `Step '${depStep}' finished in ${depS.toFixed(1)}s with exit code 0`, k.deps);
  const testAt = Math.max(t + 2000, nominal - (j.tag !== undefined ? 70_000 : 8000));
  // a short job's steps take what they take: it ends after them
  const end = Math.max(nominal, testAt + (j.tag !== undefined ? 10_000 : 1500));
  if (!canceled) {
    const testS = (testAt - t) / 1000;
    for (let i = 0; i < j.tests.flaky; i++) run(t + r.int(1000, Math.max(1001, testS * 900)), 'WARN', 'Tests', `Test '${r.pick(FLAKY)}' failed on attempt 1/3, passed on attempt 2 (flaky)`, k.tests);
    const ts = j.tests;
    run(testAt - 300, 'INFO', 'Tests', `Test summary: ${ts.passed} passed, ${ts.skipped} skipped, ${ts.failed} failed in ${testS.toFixed(1)}s`, k.tests);
    run(testAt, ts.failed > 0 || j.result === 'Failed' ? 'ERROR' : 'INFO', 'Step', `Step '${testStep}' finished in ${testS.toFixed(1)}s with exit code ${j.result === 'Failed' ? 1 : 0}`, k.tests);
  }
  if (j.tag !== undefined) {
    const tag = j.tag === '' ? j.sha.slice(0, 8) : j.tag;
    const at = end - r.int(3000, 8000);
    rows.push(registryLine(w, at - 400, { method: 'PUT', name: `${ORG}/${j.repo.name}`, ref: tag, status: 201, written: 0, ip: j.runner.ip, user: 'ci-runner', ms: w.around(40, 0.4) }, k.image));
    run(at, 'INFO', 'Worker', `Pushed ${REG}/${ORG}/${j.repo.name}:${tag} digest ${digest(r)} size ${j.mb.toFixed(1)}MB`, k.image);
  }
  const level = j.result === 'Succeeded' ? 'INFO' : j.result === 'Canceled' ? 'WARN' : 'ERROR';
  run(end, level, 'JobDispatcher', `Job build for ${ORG}/${j.repo.name} run #${j.run} completed with result ${j.result} in ${dur((end - j.ts) / 1000)}`, k.end);
  return end;
}

/** The Argo CD application of a repository on a cluster. */
export const appOf = (repo: Repo, cluster: string): string => `argocd/${repo.name}-${cluster.startsWith('staging') ? 'staging' : cluster}`;

/** A deploy of the job's image: Argo CD's sync of each target's app, its health, the nodes' pulls. */
export function deployLines(w: W, rows: Row[], repo: Repo, tag: string, at: number, clusters: string[], kind?: string): void {
  const { r } = w;
  for (const c of clusters) {
    const app = appOf(repo, c);
    const f = { application: app, 'dest-name': c, 'dest-namespace': repo.name };
    let t = at + r.int(20_000, 90_000);
    rows.push(w.row(t, STREAMS.deploy, w.deploy(t, 'info', `Initiated automated sync to '${tag}'`, f), undefined, kind));
    const pods = r.int(2, 5);
    for (let i = 0; i < pods; i++) {
      const p = t + r.int(2000, 15_000);
      rows.push(registryLine(w, p, { method: 'GET', name: `${ORG}/${repo.name}`, ref: tag, written: r.int(1400, 3000), ip: `10.${c.startsWith('staging') ? 40 : c.includes('us-east') ? 60 : 50}.${r.int(0, 7)}.${r.int(2, 250)}`, user: `k8s-${c.split('-')[0]}-puller`, agent: 'containerd/v1.7.20' }, kind));
    }
    t += r.int(20_000, 60_000);
    rows.push(w.row(t, STREAMS.deploy, w.deploy(t, 'info', `Sync operation to ${tag} succeeded`, { ...f, 'time_ms': r.int(800, 9000) }), undefined, kind));
    t += r.int(5000, 40_000);
    rows.push(w.row(t, STREAMS.deploy, w.deploy(t, 'info', 'Updated health status: Progressing -> Healthy', f), undefined, kind));
  }
}

/** A job on every stream it touches. */
export function renderJob(w: W, rows: Row[], j: Job): void {
  j.head = branchOf(w, j);
  gitSide(w, rows, j);
  const t = setup(w, rows, j);
  const end = stepsAndEnd(w, rows, j, t);
  if (j.tag !== undefined && j.deployTo.length > 0) deployLines(w, rows, j.repo, j.tag === '' ? j.sha.slice(0, 8) : j.tag, end, j.deployTo, j.kinds.deploy);
}

/** Every job of the run, drafted: pushes and pull requests, the nightly builds, the release tags. */
export function planJobs(w: W): Job[] {
  const { r } = w;
  const jobs = w.arrivals(0.15).map((ts) => draftJob(w, ts));
  if (w.nightlyAt < w.end) {
    const nightly = reposAt(w, w.nightlyAt).filter((x) => x.app || r.chance(0.3));
    nightly.forEach((repo, i) => jobs.push(draftJob(w, w.nightlyAt + i * r.int(5000, 25_000), repo, 'schedule')));
  }
  for (const rel of w.releases) {
    rel.repo.version = [rel.repo.version[0], rel.repo.version[1] + 1, 0];
    const j = draftJob(w, rel.at, rel.repo, 'tag');
    Object.assign(j, { actor: rel.by, result: 'Succeeded', tag: `v${rel.repo.version.join('.')}`, deployTo: CLUSTERS.slice(1), tests: { ...j.tests, failed: 0 } });
    jobs.push(j);
  }
  return jobs;
}
