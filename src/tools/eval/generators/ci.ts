// Generator `ci`: a CI/CD and software-delivery platform, written for issue 11's held-out log
// streams from the description and from what such systems log (not from the detectors,
// never run on them before it was committed), to give a never-tuned figure.
//
//   seed ─► world() (ci-lines.ts) ─► 4-6 hours of event time from 19:00-20:30 UTC, a European
//   │       team's evening falling into the night trough (weekend days at 40 %); 28-40
//   │       repositories in four languages, 12-19 self-hosted runners (x64 and arm64), 40-80
//   │       developers; seven streams in six formats:
//   │         ci/runners       the runner fleet (plain text): jobs accepted, base images pulled
//   │                          by digest, step times, test summaries, images pushed, results
//   │                          (ci-builds.ts)
//   │         git/server       the git server's HTTP access log: pushes, the runners' fetches,
//   │                          developers' clones and web UI, Argo CD's polling (ci-ops.ts)
//   │         registry/oci     the container registry, JSON: pulls and pushes of manifests and
//   │                          blobs, the Docker Hub proxy, the clusters' pulls after a deploy
//   │         cache/build      the build cache, logfmt: restores (hit or miss), saves, evictions
//   │         deploy/argocd    the deploy controller, Argo CD's text: reconciliations, automated
//   │                          syncs to staging, releases to two production clusters
//   │         infra/terraform  plan/apply runs' audit, CSV: the hourly drift check, people's runs
//   │         egress/squid     the runners' egress proxy, Squid's native log: package hosts
//   │       benign novelty: fresh commits, run and pull request numbers, branches, users, durations,
//   │       cache keys, image sizes, digests, bytes; benign events: a repository created (its first
//   │       push, its Argo CD app, its first build with a cold cache), a runner registered, a new
//   │       base image published and then used, 2-4 release tags deployed to production, the
//   │       nightly builds at 22:30 UTC, flaky tests retried, ordinary failures and cancellations,
//   │       expired tokens refused, upstream rate limits and queued jobs now and then
//   └─► incidents after a 30-minute warm-up (ci-incidents.ts), labelled rare_error, rare_burst,
//       unusual_value, unseen_category, supply_chain and credential_misuse
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { planJobs } from './ci-builds.js';
import { injectCiIncidents } from './ci-incidents.js';
import { world, type Row } from './ci-lines.js';
import { operations } from './ci-ops.js';
import { labelledSet } from './labelled.js';

export { WARMUP_MS } from './ci-lines.js';
export { CI_KINDS } from './ci-incidents.js';

/** The platform's seven streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generateCi(seed: number, minutes = 240 + ((seed * 59) % 121)): GeneratedSet {
  const w = world(seed, minutes);
  const jobs = planJobs(w);
  const rows: Row[] = [];
  operations(w, rows);
  injectCiIncidents(w, jobs, rows);
  return labelledSet(rows.filter((x) => x.ts >= w.t0 && x.ts < w.end));
}

export const ciGenerator: Generator = {
  describe: 'a CI/CD and software-delivery platform: a runner fleet\'s logs, a git server\'s access log, a container registry (JSON), a build cache (logfmt), Argo CD, Terraform runs (CSV) and the runners\' egress proxy (Squid) over 4-6 hours, a repository created, a runner registered, a base image published, release tags, nightly builds; incidents: rare_error, rare_burst, unusual_value, unseen_category, supply_chain, credential_misuse',
  generate: (seed) => generateCi(seed),
};
