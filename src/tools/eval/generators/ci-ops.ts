// The `ci` generator's lines other than builds (see ci.ts):
//   git/server      developers' fetches and clones, the web UI's and the dashboards' API reads, a
//                   developer's expired token refused now and then (401), Argo CD's repo server
//                   polling the deploy config with its service token from its one address
//   ci/runners      a job queued for a busy architecture now and then, the runners' update checks
//   registry/oci    developers' pulls, service containers pulled through the Docker Hub proxy (an
//                   upstream rate limit, 429, now and then)
//   cache/build     the eviction sweep every 15 minutes
//   deploy/argocd   every application's reconciliation every ~10 minutes
//   infra/terraform the drift check's plan of every workspace every hour, people's plans and
//                   applies (a plan failing on a typo now and then)
// and the run's benign events: a repository created (its Argo CD app with it), a runner
// registered, a base image published by the base-images pipeline.
import { appOf, registryLine } from './ci-builds.js';
import { ARGO_IP, CLUSTERS, DEPLOY_USER, digest, ORG, REG, reposAt, runnersAt, STREAMS, WORKSPACES, type GitReq, type Repo, type Row, type TfRun, type W } from './ci-lines.js';

const UI = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** A git server request line (labelled `kind` if any). */
export const gitLine = (w: W, ts: number, a: Partial<GitReq> & Pick<GitReq, 'path'>, kind?: string): Row =>
  w.row(ts, STREAMS.git, w.git(ts, { ip: w.r.pick(w.vpn), user: w.r.pick(w.users), method: 'GET', status: 200, bytes: w.r.int(2000, 60_000), agent: UI, rt: w.around(0.06, 0.5), ...a }), undefined, kind);

/** A developer's token refused (a normal but infrequent line; a misconfigured mirror repeats it). */
export const gitDenied = (w: W, ts: number, ip: string, repo: string, kind?: string): Row =>
  gitLine(w, ts, { ip, user: '-', path: `/${ORG}/${repo}.git/info/refs?service=git-upload-pack`, status: 401, bytes: w.r.int(40, 60), agent: 'git/2.43.0', rt: w.around(0.004, 0.3) }, kind);

/** The Docker Hub proxy refusing a pull for the upstream's rate limit (a normal but infrequent line). */
export const pullLimited = (w: W, ts: number, ip: string, kind?: string): Row =>
  w.row(ts, STREAMS.registry, w.registry(ts, 'warn', 'response completed with error', {
    'err.code': 'toomanyrequests', 'err.message': 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    'http.request.method': 'GET', 'http.request.uri': `/v2/dockerhub/library/${w.r.pick(['postgres', 'redis', 'localstack/localstack', 'mysql'])}/manifests/${w.r.pick(['16', '7', '3.8', '8.0'])}`,
    'http.request.remoteaddr': ip, 'http.response.status': 429, 'auth.user.name': 'ci-runner',
  }), undefined, kind);

/** A job waiting for a runner of an architecture (a normal but infrequent line; a backlog repeats it). */
export const queued = (w: W, ts: number, repo: string, pos: number, kind?: string): Row =>
  w.row(ts, STREAMS.runner, w.runner(ts, 'runner-ctl-01', 'WARN', 'Scheduler', `Job request ${w.r.int(100_000, 999_999)} for ${ORG}/${repo} queued: waiting for a runner with labels [self-hosted, linux, arm64] (queue position ${pos})`), undefined, kind);

function developers(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.2)) {
    const repo = r.pick(reposAt(w, ts)).name;
    const v = r.next();
    if (v < 0.45) {
      const ip = r.pick(w.vpn), user = r.pick(w.users);
      rows.push(gitLine(w, ts, { ip, user, path: `/${ORG}/${repo}.git/info/refs?service=git-upload-pack`, bytes: r.int(800, 9000), agent: 'git/2.43.0', rt: w.around(0.02, 0.4) }));
      rows.push(gitLine(w, ts + r.int(100, 600), { ip, user, method: 'POST', path: `/${ORG}/${repo}.git/git-upload-pack`, bytes: Math.round(w.around(r.chance(0.1) ? 3e7 : 2e5, 0.8)), agent: 'git/2.43.0', rt: w.around(0.3, 0.6) }));
    } else if (v < 0.8) rows.push(gitLine(w, ts, { path: r.pick([`/${ORG}/${repo}/pulls/${w.seq.pr - r.int(0, 300)}`, `/${ORG}/${repo}/pulls/${w.seq.pr - r.int(0, 300)}/files`, `/${ORG}/${repo}/commits/main`, `/${ORG}/${repo}/src/branch/main`]) }));
    else rows.push(gitLine(w, ts, { ip: '10.20.1.40', user: 'svc-dashboards', path: `/api/v1/repos/${ORG}/${repo}/${r.pick(['commits?sha=main&limit=20', 'pulls?state=open&limit=50', 'statuses/main'])}`, bytes: r.int(900, 40_000), agent: 'grafana-git-datasource/1.4.0', rt: w.around(0.05, 0.4) }));
  }
  for (const ts of w.arrivals(1 / 700)) rows.push(gitDenied(w, ts, r.pick(w.vpn), r.pick(reposAt(w, ts)).name));
  for (let ts = w.t0 + r.int(0, 179_999); ts < w.end; ts += 180_000 + r.int(-200, 200)) {
    rows.push(gitLine(w, ts, { ip: ARGO_IP, user: DEPLOY_USER, path: `/${ORG}/deploy-config.git/info/refs?service=git-upload-pack`, bytes: r.int(1800, 2400), agent: 'git/2.39.3', rt: w.around(0.015, 0.3) }));
  }
}

function registryBackground(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.02)) {
    const repo = r.pick(reposAt(w, ts).filter((x) => x.app));
    rows.push(registryLine(w, ts, { method: 'GET', name: `${ORG}/${repo.name}`, ref: r.chance(0.5) ? 'main' : `v${repo.version.join('.')}`, written: r.int(1400, 3000), ip: r.pick(w.vpn), user: r.pick(w.users) }));
  }
  for (const ts of w.arrivals(0.03)) {
    const [name, tag] = r.pick([['postgres', '16'], ['redis', '7'], ['localstack/localstack', '3.8'], ['mysql', '8.0']]);
    rows.push(registryLine(w, ts, { method: 'GET', name: `dockerhub/library/${name}`, ref: tag, written: r.int(1400, 9000), ip: r.pick(runnersAt(w, ts)).ip, user: 'ci-runner' }));
  }
  for (const ts of w.arrivals(1 / 1500)) rows.push(pullLimited(w, ts, r.pick(runnersAt(w, ts)).ip));
  const goRepos = w.repos.filter((x) => x.lang === 'go' && x.from < w.t0);
  for (const ts of w.arrivals(1 / 1200)) rows.push(queued(w, ts, r.pick(goRepos.length > 0 ? goRepos : w.repos).name, r.int(1, 3)));
  for (const rn of w.runners) {
    for (let ts = Math.max(w.t0, rn.from) + r.int(0, 3_599_999); ts < w.end; ts += 3_600_000 + r.int(-900, 900)) {
      rows.push(w.row(ts, STREAMS.runner, w.runner(ts, rn.name, 'INFO', 'SelfUpdater', 'Runner update check: version 2.321.0 is the latest')));
    }
  }
  for (let ts = w.t0 + r.int(0, 899_999); ts < w.end; ts += 900_000 + r.int(-500, 500)) {
    const used = 70 + 20 * r.next();
    rows.push(w.row(ts, STREAMS.cache, w.cache(ts, 'info', { op: 'evict', policy: 'lru', evicted: r.int(20, 400), freed_mb: Math.round(w.around(4000, 0.5)), used_pct: used.toFixed(1), dur_ms: Math.round(w.around(2200, 0.4)) })));
  }
}

/** The apps of the repositories that exist at ts: staging for every deployed one, the two production clusters too. */
const appsAt = (w: W, ts: number): [Repo, string][] => reposAt(w, ts).filter((x) => x.app).flatMap((x) => (x === w.added.repo ? [CLUSTERS[0]] : CLUSTERS).map((c) => [x, c] as [Repo, string]));

function reconcile(w: W, rows: Row[]): void {
  const { r } = w;
  for (const [repo, c] of appsAt(w, w.end)) {
    for (let ts = Math.max(w.t0, repo.from + 60_000) + r.int(0, 599_999); ts < w.end; ts += 600_000 + r.int(-3000, 3000)) {
      rows.push(w.row(ts, STREAMS.deploy, w.deploy(ts, 'info', 'Reconciliation completed', {
        application: appOf(repo, c), 'dest-name': c, 'dest-namespace': repo.name, 'fields.level': r.chance(0.9) ? 1 : 2, comparison_ms: r.int(2, 90), git_ms: r.int(10, 400), time_ms: Math.round(w.around(150, 0.5)),
      })));
    }
  }
}

/** A Terraform run's CSV row (labelled `kind` if any). */
export function tfRow(w: W, ts: number, t: Partial<TfRun> & Pick<TfRun, 'ws' | 'op' | 'actor'>, kind?: string): Row {
  const { r } = w;
  const full: TfRun = { id: `run-${r.hex(16)}`, status: t.op === 'apply' ? 'applied' : 'planned', add: 0, change: 0, destroy: 0, secs: Math.round(w.around(40, 0.5)), sha: r.hex(8), ...t, msg: t.msg ?? 'No changes. Your infrastructure matches the configuration.' };
  return w.row(ts, STREAMS.tf, w.tf(ts, full), undefined, kind);
}

function terraform(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ws of WORKSPACES) {
    for (let ts = w.t0 + r.int(0, 3_599_999); ts < w.end; ts += 3_600_000 + r.int(-2000, 2000)) {
      const drift = r.chance(0.05) ? r.int(1, 2) : 0;
      rows.push(tfRow(w, ts, { ws, op: 'plan', actor: 'svc-terraform-drift', change: drift, msg: drift > 0 ? `Plan: 0 to add, ${drift} to change, 0 to destroy.` : undefined }));
    }
  }
  for (const ts of w.arrivals(1 / 900)) {
    const ws = r.pick(WORKSPACES), actor = r.pick(w.users.slice(0, 12)), sha = r.hex(8);
    if (r.chance(0.06)) { rows.push(tfRow(w, ts, { ws, op: 'plan', actor, sha, status: 'errored', secs: r.int(3, 15), msg: `Error: Unsupported argument on ${r.pick(['main.tf', 'variables.tf', 'iam.tf'])} line ${r.int(3, 300)}` })); continue; }
    const [add, change, destroy] = [r.chance(0.6) ? r.int(0, 4) : 0, r.int(0, 3), r.chance(0.15) ? 1 : 0];
    const plan = `Plan: ${add} to add, ${change} to change, ${destroy} to destroy.`;
    rows.push(tfRow(w, ts, { ws, op: 'plan', actor, sha, add, change, destroy, msg: plan }));
    if (r.chance(0.7)) rows.push(tfRow(w, ts + r.int(60, 900) * 1000, { ws, op: 'apply', actor, sha, add, change, destroy, secs: Math.round(w.around(90, 0.6)), msg: `Apply complete! Resources: ${add} added, ${change} changed, ${destroy} destroyed.` }));
  }
}

function benignEvents(w: W, rows: Row[]): void {
  const { r } = w;
  const { repo, runner, image } = w.added;
  const who = r.pick(w.users);
  rows.push(gitLine(w, repo.from - r.int(60, 300) * 1000, { user: who, method: 'POST', path: `/api/v1/orgs/${ORG}/repos`, status: 201, bytes: r.int(1500, 2500), agent: UI }));
  rows.push(gitLine(w, repo.from - r.int(5, 50) * 1000, { user: who, method: 'POST', path: `/${ORG}/${repo.name}.git/git-receive-pack`, bytes: r.int(20_000, 400_000), agent: 'git/2.43.0', rt: w.around(0.8, 0.3) }));
  const at = repo.from + r.int(10, 50) * 1000;
  rows.push(w.row(at, STREAMS.deploy, w.deploy(at, 'info', 'created application', { application: appOf(repo, CLUSTERS[0]), 'dest-name': CLUSTERS[0], 'dest-namespace': repo.name, user: who })));
  rows.push(w.row(runner.from, STREAMS.runner, w.runner(runner.from, runner.name, 'INFO', 'Runner', `Runner registered: name=${runner.name} labels=self-hosted,linux,x64 version=2.321.0`)));
  rows.push(w.row(runner.from + 1500, STREAMS.runner, w.runner(runner.from + 1500, runner.name, 'INFO', 'Listener', 'Connected to the job broker, listening for jobs')));
  const b = r.pick(runnersAt(w, image.from - 60_000));
  const t = image.from - r.int(20, 60) * 1000;
  rows.push(w.row(t - 240_000, STREAMS.runner, w.runner(t - 240_000, b.name, 'INFO', 'JobDispatcher', `Job request ${r.int(100_000, 999_999)} for ${ORG}/base-images (workflow publish.yml, job ${image.name.slice(5)}, run #${r.int(100, 400)}) accepted: event=push ref=refs/heads/main head=main sha=${r.hex(8)} actor=${r.pick(w.users)}`)));
  rows.push(registryLine(w, t - 400, { method: 'PUT', name: image.name, ref: image.tag, status: 201, written: 0, ip: b.ip, user: 'svc-base-images', ms: w.around(40, 0.4) }));
  rows.push(w.row(t, STREAMS.runner, w.runner(t, b.name, 'INFO', 'Worker', `Pushed ${REG}/${image.name}:${image.tag} digest ${image.digest.length > 0 ? image.digest : digest(r)} size ${r.int(180, 900)}.${r.int(0, 9)}MB`)));
  rows.push(w.row(t + 3000, STREAMS.runner, w.runner(t + 3000, b.name, 'INFO', 'JobDispatcher', `Job ${image.name.slice(5)} for ${ORG}/base-images completed with result Succeeded in ${r.int(3, 6)}m${String(r.int(10, 59))}s`)));
}

/** Every line other than builds, and the run's benign events. */
export function operations(w: W, rows: Row[]): void {
  developers(w, rows);
  registryBackground(w, rows);
  reconcile(w, rows);
  terraform(w, rows);
  benignEvents(w, rows);
}
