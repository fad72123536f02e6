// The `ci` generator's world and line formats (see ci.ts): one seeded source shared by every
// stream, so the order of builds is the seed's. The repositories, runners, base images, users and
// the run's fixed benign events (a repository created, a runner registered, a base image
// published, release tags, the nightly builds) are drawn first, so every stream tells one story.
// Formats:
//   runner    the runner fleet's logs (plain text: host [YYYY-MM-DD hh:mm:ssZ LEVEL Component] msg)
//   git       the git server's HTTP access log (combined, with the request time in seconds)
//   registry  the container registry (JSON, one object a line, distribution's field names)
//   cache     the build cache (logfmt: ts=... level=... component=cache op=...)
//   deploy    the deploy controller (Argo CD's logrus text: time="..." level=... msg="..." k=v)
//   tf        Terraform plan/apply runs' audit (CSV: time, run, workspace, operation, actor,
//             status, add, change, destroy, seconds, commit, message)
//   proxy     the runners' egress proxy (Squid's native access log)
import { logRow, type LabelledRow, type RunWorld } from './labelled.js';
import { runClock, seeded, type Random } from './random.js';

export type Row = LabelledRow;

/** No incident in the first 30 minutes of event time. */
export const WARMUP_MS = 1_800_000;

export const STREAMS = {
  runner: 'ci/runners',
  git: 'git/server',
  registry: 'registry/oci',
  cache: 'cache/build',
  deploy: 'deploy/argocd',
  tf: 'infra/terraform',
  proxy: 'egress/squid',
} as const;

export const REG = 'registry.acme.dev';
export const ORG = 'acme';

export type Lang = 'node' | 'python' | 'go' | 'java';
/** A repository: its name, language, whether it deploys (an Argo CD app per env), its run counter, tests, build minutes, image MB, when it was created. */
export interface Repo { name: string; lang: Lang; app: boolean; run: number; tests: number; mins: number; mb: number; from: number; version: [number, number, number] }
export interface Runner { name: string; ip: string; arch: 'x64' | 'arm64'; from: number }
export interface BaseImage { name: string; tag: string; digest: string; lang: Lang; from: number }

/** Package hosts the runners fetch from through the proxy, by language. */
export const PKG_HOSTS: Record<Lang, string[]> = {
  node: ['registry.npmjs.org', 'registry.npmjs.org', 'nodejs.org'],
  python: ['pypi.org', 'files.pythonhosted.org', 'files.pythonhosted.org'],
  go: ['proxy.golang.org', 'sum.golang.org', 'storage.googleapis.com'],
  java: ['repo.maven.apache.org', 'plugins.gradle.org', 'services.gradle.org'],
};
export const COMMON_HOSTS = ['github.com', 'objects.githubusercontent.com', 'api.github.com', 'codecov.io', 'deb.debian.org'];
/** Hosts never fetched from in a normal build (supply chain incidents). */
export const ROGUE_HOSTS = ['registry.npmjs-mirror.top', 'pypi-files.cdn-pkg.net', 'goproxy.fastmirror.io', 'get.buildtools.sh', 'ghcr-io.pkgcache.dev', 'dl.node-prebuilt.org'];
/** Clusters the apps deploy to, and ones never deployed to (unseen_category). */
export const CLUSTERS = ['staging-eu-west-1', 'prod-eu-west-1', 'prod-us-east-1'];
export const NEW_CLUSTERS = ['prod-ap-southeast-2', 'prod-sa-east-1', 'dr-eu-central-2'];
export const WORKSPACES = ['network-prod', 'network-staging', 'eks-prod-eu-west-1', 'eks-prod-us-east-1', 'eks-staging', 'iam', 'dns', 'databases-prod'];
export const NEW_WORKSPACES = ['eks-prod-ap-south-1', 'billing-sandbox', 'network-dr'];
/** The service token Argo CD and the deploy jobs use; its one usual address. */
export const DEPLOY_USER = 'svc-deploy';
export const ARGO_IP = '10.20.1.15';

const NAMES = [
  'payments-api', 'checkout-web', 'orders-service', 'inventory', 'search-indexer', 'auth-gateway', 'notifications', 'billing-worker', 'catalog-api', 'pricing-engine',
  'user-profile', 'shipping-rates', 'fraud-rules', 'reports', 'admin-console', 'mobile-bff', 'feature-flags', 'data-export', 'email-renderer', 'ledger',
  'recommendations', 'warehouse-sync', 'tax-service', 'cart', 'media-resizer', 'audit-log', 'partner-api', 'sso-bridge', 'metrics-proxy', 'deploy-config',
  'infra-modules', 'design-system', 'docs-site', 'loadtest', 'schema-registry', 'webhooks', 'coupon-service', 'geo-lookup', 'invoice-pdf', 'status-page',
];
const NEW_NAMES = ['returns-portal', 'gift-cards', 'loyalty-points', 'subscriptions', 'vendor-onboarding'];
const FIRST = ['anna', 'ben', 'chloe', 'dmitri', 'elena', 'farid', 'grace', 'hugo', 'ines', 'jonas', 'kasia', 'liam', 'maya', 'nils', 'olga', 'pavel', 'quinn', 'rosa', 'sven', 'tara', 'umar', 'vera', 'wei', 'yusuf', 'zoe'];
const LAST = ['k', 'm', 'schmidt', 'novak', 'dubois', 'rossi', 'berg', 'ortiz', 'lind', 'fischer', 'costa', 'walsh'];
export const BASES: Record<Lang, [string, string, string]> = {
  node: ['base/node', '20.11', '22.12'], python: ['base/python', '3.12-slim', '3.13-slim'], go: ['base/golang', '1.22', '1.23'], java: ['base/temurin', '21-jdk', '23-jdk'],
};

export interface W extends RunWorld {
  repos: Repo[];
  runners: Runner[];
  users: string[];
  images: BaseImage[];
  /** The benign additions of the run: a repository, a runner, a base image (the last of each list). */
  added: { repo: Repo; runner: Runner; image: BaseImage };
  releases: { repo: Repo; at: number; by: string }[];
  nightlyAt: number;
  /** Developers' addresses (the VPN pool). */
  vpn: string[];
  seq: { pr: number; tf: number };
  runner: (ts: number, host: string, level: string, comp: string, msg: string) => string;
  git: (ts: number, a: GitReq) => string;
  registry: (ts: number, level: string, msg: string, fields: Record<string, string | number>) => string;
  cache: (ts: number, level: string, fields: Record<string, string | number | boolean>) => string;
  deploy: (ts: number, level: string, msg: string, fields: Record<string, string | number>) => string;
  tf: (ts: number, t: TfRun) => string;
  proxy: (ts: number, p: ProxyReq) => string;
}

export interface GitReq { ip: string; user: string; method: string; path: string; status: number; bytes: number; agent: string; rt: number }
export interface TfRun { id: string; ws: string; op: string; actor: string; status: string; add: number; change: number; destroy: number; secs: number; sha: string; msg: string }
export interface ProxyReq { ms: number; ip: string; code: string; bytes: number; method: string; url: string; peer: string }

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
const iso = (ts: number): string => new Date(ts).toISOString();
const sec = (ts: number): string => iso(ts).slice(0, 19) + 'Z';
const kv = (f: Record<string, string | number | boolean>): string =>
  Object.entries(f).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ');

function formats(): Pick<W, 'runner' | 'git' | 'registry' | 'cache' | 'deploy' | 'tf' | 'proxy'> {
  return {
    runner: (ts, host, level, comp, msg) => `${host} [${iso(ts).slice(0, 19).replace('T', ' ')}Z ${level} ${comp}] ${msg}`,
    git: (ts, a) => {
      const d = new Date(ts);
      const when = `${pad(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
      return `${a.ip} - ${a.user} [${when}] "${a.method} ${a.path} HTTP/1.1" ${a.status} ${a.bytes} "-" "${a.agent}" ${a.rt.toFixed(3)}`;
    },
    registry: (ts, level, msg, fields) => JSON.stringify({ time: iso(ts), level, msg, ...fields }),
    cache: (ts, level, fields) => `ts=${iso(ts)} level=${level} component=cache ${kv(fields)}`,
    deploy: (ts, level, msg, fields) => `time="${sec(ts)}" level=${level} msg=${JSON.stringify(msg)} ${kv(fields)}`,
    tf: (ts, t) => [sec(ts), t.id, t.ws, t.op, t.actor, t.status, t.add, t.change, t.destroy, t.secs, t.sha, `"${t.msg.replace(/"/g, '""')}"`].join(','),
    proxy: (ts, p) => `${(ts / 1000).toFixed(3)} ${String(p.ms).padStart(6)} ${p.ip} ${p.code} ${p.bytes} ${p.method} ${p.url} - ${p.peer} -`,
  };
}

function repos(r: Random, t0: number): Repo[] {
  const names = NAMES.slice(0, r.int(28, 40));
  return names.map((name) => makeRepo(r, name, t0 - 864e5 * r.int(30, 900)));
}

export function makeRepo(r: Random, name: string, from: number): Repo {
  const lang = r.pick<Lang>(['node', 'node', 'python', 'go', 'go', 'java']);
  const mins = { node: 4, python: 3, go: 2.5, java: 7 }[lang] * (0.6 + r.next());
  return { name, lang, app: !/config|modules|design|docs|loadtest/.test(name) && r.chance(0.8), run: r.int(200, 9000), tests: r.int(40, 2400), mins, mb: Math.round(r.int(40, 420)), from, version: [r.int(0, 4), r.int(0, 40), r.int(0, 12)] };
}

export const sha = (r: Random): string => r.hex(40);
/** A digest (sha256:...). */
export const digest = (r: Random): string => `sha256:${r.hex(64)}`;

export function world(seed: number, minutes: number): W {
  const r = seeded(seed * 70_111 + 29);
  const day = Date.UTC(2026, 0, 5) + (seed % 300) * 86_400_000; // 5 Jan 2026 is a Monday
  const weekend = (seed % 300) % 7 >= 5;
  const t0 = day + 19 * 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  // a European team's pushes: the afternoon peak at 14:00 UTC, the night trough at 03:00; a weekend day at 40 %
  const rate = (t: number): number => (weekend ? 0.4 : 1) * (0.08 + 1.7 * (1 + Math.cos((2 * Math.PI * ((t / 3_600_000) % 24 - 14)) / 24)) / 2);
  const frac = (lo: number, hi: number): number => t0 + Math.round((lo + (hi - lo) * r.next()) * (end - t0));
  const rs = repos(r, t0);
  const runners: Runner[] = Array.from({ length: r.int(10, 16) }, (_, i) => ({ name: `runner-lin-${pad(i + 1)}`, ip: `10.20.5.${11 + i}`, arch: 'x64', from: 0 }));
  runners.push(...Array.from({ length: r.int(2, 3) }, (_, i) => ({ name: `runner-arm-${pad(i + 1)}`, ip: `10.20.6.${11 + i}`, arch: 'arm64' as const, from: 0 })));
  const newRunner: Runner = { name: `runner-lin-${pad(runners.length + 5)}`, ip: `10.20.5.${60 + r.int(0, 30)}`, arch: 'x64', from: frac(0.1, 0.6) };
  runners.push(newRunner);
  const images: BaseImage[] = (Object.keys(BASES) as Lang[]).map((lang) => ({ name: BASES[lang][0], tag: BASES[lang][1], digest: digest(r), lang, from: 0 }));
  const lang = r.pick<Lang>(['node', 'python', 'go', 'java']);
  const image: BaseImage = { name: BASES[lang][0], tag: BASES[lang][2], digest: digest(r), lang, from: frac(0.15, 0.55) };
  images.push(image);
  const repo = makeRepo(r, r.pick(NEW_NAMES), frac(0.1, 0.6));
  repo.app = true;
  repo.run = 0;
  rs.push(repo);
  const users = Array.from({ length: r.int(40, 80) }, () => `${r.pick(FIRST)}.${r.pick(LAST)}`).filter((u, i, a) => a.indexOf(u) === i);
  const apps = rs.filter((x) => x.app && x.from < t0);
  const releases = Array.from({ length: r.int(2, 4) }, () => ({ repo: r.pick(apps), at: frac(0.1, 0.9), by: r.pick(users) }));
  return {
    r, seed, t0, end, rate, row: logRow, repos: rs, runners, users, images, added: { repo, runner: newRunner, image }, releases,
    nightlyAt: day + 22.5 * 3_600_000 + r.int(0, 30_000),
    vpn: Array.from({ length: r.int(30, 60) }, () => `10.8.${r.int(0, 3)}.${r.int(2, 250)}`),
    seq: { pr: r.int(300, 4000), tf: 0 },
    ...runClock(r, t0, end, rate, 1.8),
    ...formats(),
  };
}

/** The repositories that exist at ts. */
export const reposAt = (w: W, ts: number): Repo[] => w.repos.filter((x) => x.from <= ts);
/** The runners registered at ts (of one architecture). */
export const runnersAt = (w: W, ts: number, arch: 'x64' | 'arm64' = 'x64'): Runner[] => w.runners.filter((x) => x.from <= ts && x.arch === arch);
/** A fresh address outside the company (a leaked token's user). */
export const outsideIp = (r: Random): string => `${r.pick([5, 23, 37, 45, 89, 103, 138, 146, 185, 194])}.${r.int(1, 254)}.${r.int(0, 255)}.${r.int(1, 254)}`;
/** A duration as the runner prints it (4m12s, 38s). */
export const dur = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${pad(Math.floor(s % 60))}s` : `${s.toFixed(1)}s`);
