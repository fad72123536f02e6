// The `cloud` generator's world and record makers (see cloud.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. Records as their services write them:
//   trail   a CloudTrail management event (eventVersion 1.09: userIdentity, eventSource, eventName,
//           awsRegion, sourceIPAddress, userAgent, requestParameters, errorCode, ...)
//   audit   a Kubernetes audit event (audit.k8s.io/v1, level Metadata, stage ResponseComplete)
//   signin  an identity provider's system log record (Okta-like: eventType, actor, client, outcome)
import { gauss } from './k8s.js';
import type { GeneratedEvent } from './index.js';
import { seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

export const ACCOUNT = '418272790193';
export const HOME = 'eu-west-1';
export const NEW_REGIONS = ['ap-southeast-1', 'sa-east-1', 'me-central-1', 'ap-northeast-3', 'af-south-1'];

/** A principal of the account: how its CloudTrail identity reads, where it calls from, with what. */
export interface Principal {
  name: string;
  kind: 'role' | 'sso' | 'user' | 'service';
  /** role: the role name; sso: the permission set; user: the IAM user; service: the service principal. */
  role: string;
  /** role: the session name maker; sso: the user's e-mail. */
  session: (r: Random) => string;
  ip: (r: Random) => string;
  agent: (r: Random) => string;
}
const SDK_GO = (api: string): string => `aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/${api}`;
const CONSOLE = ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'AWS Internal'];
const office = (r: Random): string => r.pick(['185.92.24.7', '185.92.24.8', '91.64.113.20']);
const home = (r: Random): string => `${r.pick([84, 87, 91, 93, 176, 178])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
export const HUMANS = [
  ['alice.schmidt', 'AdministratorAccess'], ['bob.jansen', 'PowerUserAccess'], ['carol.meyer', 'ReadOnlyAccess'], ['dan.vries', 'ReadOnlyAccess'],
  ['erin.kowalski', 'PowerUserAccess'], ['frank.weber', 'DataEngineer'], ['gita.rao', 'ReadOnlyAccess'], ['hugo.bakker', 'PowerUserAccess'],
] as const;
export const human = (name: string, set: string): Principal => ({
  name, kind: 'sso', role: set, session: () => `${name}@northwind.example`, ip: (r) => (r.chance(0.7) ? office(r) : home(r)),
  agent: (r) => (r.chance(0.75) ? r.pick(CONSOLE) : `aws-cli/2.22.${r.int(2, 12)} md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#${r.pick(['ec2.describe-instances', 's3.ls', 'logs.filter-log-events', 'ecs.describe-services'])}`),
});
export const P: Record<string, Principal> = {
  karpenter: { name: 'karpenter', kind: 'role', role: 'KarpenterControllerRole-prod', session: (r) => String(1_700_000_000_000_000_000n + BigInt(r.int(1, 999_999_999))), ip: (r) => `10.30.${r.int(16, 31)}.${r.int(2, 250)}`, agent: () => `${SDK_GO('ec2#1.187.0')} karpenter.sh-1.0.8` },
  deployer: { name: 'deployer', kind: 'role', role: 'github-actions-deploy', session: (r) => `GitHubActions-${r.int(1_000_000, 9_999_999)}`, ip: (r) => `${r.pick(['4.175', '20.57', '52.234'])}.${r.int(0, 255)}.${r.int(1, 254)}`, agent: () => 'aws-cli/2.22.10 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off' },
  terraform: { name: 'terraform', kind: 'role', role: 'atlantis-terraform-plan', session: (r) => `atlantis-${r.hex(8)}`, ip: () => '10.30.8.44', agent: () => `APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) ${SDK_GO('iam#1.38.1')}` },
  renderer: { name: 'renderer', kind: 'role', role: 'invoice-renderer-lambda', session: () => 'invoice-renderer', ip: (r) => `34.${r.int(240, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`, agent: () => 'aws-sdk-js/3.699.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 api/kms#3.699.0 exec-env/AWS_Lambda_nodejs20.x' },
  orders: { name: 'orders', kind: 'role', role: 'orders-api-task', session: (r) => r.hex(32), ip: (r) => `10.30.${r.int(32, 47)}.${r.int(2, 250)}`, agent: () => `${SDK_GO('secretsmanager#1.34.7')}` },
  dlm: { name: 'dlm', kind: 'role', role: 'AWSDataLifecycleManagerDefaultRole', session: () => 'DLMSession', ip: () => 'dlm.amazonaws.com', agent: () => 'dlm.amazonaws.com' },
  ecsTasks: { name: 'ecsTasks', kind: 'service', role: 'ecs-tasks.amazonaws.com', session: () => '', ip: () => 'ecs-tasks.amazonaws.com', agent: () => 'ecs-tasks.amazonaws.com' },
  lambda: { name: 'lambda', kind: 'service', role: 'lambda.amazonaws.com', session: () => '', ip: () => 'lambda.amazonaws.com', agent: () => 'lambda.amazonaws.com' },
  legacy: { name: 'legacy', kind: 'user', role: 'svc-legacy-backup', session: () => '', ip: () => '10.30.8.60', agent: () => 'Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#5.15.0-1071-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.76' },
  ...Object.fromEntries(HUMANS.map(([n, s]) => [n, human(n, s)])),
};

export interface Cloud {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** Human activity in [0, 1]: none before 07:00, a ramp to 09:00. */
  office: (ts: number) => number;
  /** Traffic-driven load in (0, 1]: the early morning trough, rising with the day. */
  traffic: (ts: number) => number;
  /** Arrival times of a Poisson process at `perSecond` × shape(ts) (thinning; flat without a shape). */
  arrivals: (perSecond: number, shape?: (ts: number) => number) => number[];
  around: (median: number, spread?: number) => number;
  uuid: () => string;
  hexId: (prefix: string, n?: number) => string;
  publicIp: () => string;
  trail: (ts: number, p: Principal, source: string, name: string, o?: TrailOptions) => string;
  audit: (ts: number, a: AuditCall) => string;
  signin: (ts: number, s: SigninEvent) => string;
  row: (ts: number, stream: string, data: string, kind?: string) => Row;
}
export interface TrailOptions { region?: string; params?: Record<string, unknown> | null; response?: Record<string, unknown> | null; error?: [string, string]; readOnly?: boolean; ip?: string; agent?: string; type?: string }
export interface AuditCall { user: string; groups?: string[]; verb: string; resource: string; namespace?: string; name?: string; group?: string; sub?: string; code?: number; ip?: string; agent: string; reason?: string; status?: { message: string; reason: string } }
export interface SigninEvent { type: string; user: string; outcome?: 'SUCCESS' | 'FAILURE' | 'ALLOW'; reason?: string; ip: string; city?: string; country?: string; target?: string; message: string; severity?: string; agent?: string }

export function world(seed: number, hours: number): Cloud {
  const r = seeded(seed * 6151 + 53);
  const t0 = Date.UTC(2026, 2, 2, 4, 0, 0) + (seed % 400) * 86_400_000;
  const end = t0 + hours * 3_600_000;
  const hourOf = (ts: number): number => (ts - Date.UTC(new Date(ts).getUTCFullYear(), new Date(ts).getUTCMonth(), new Date(ts).getUTCDate())) / 3_600_000;
  const office = (ts: number): number => { const h = hourOf(ts); return h < 7 ? 0 : h < 9 ? (h - 7) / 2 : 1; };
  const traffic = (ts: number): number => { const h = hourOf(ts); return 0.3 + 0.7 * Math.min(1, Math.max(0, (h - 5) / 5)); };
  const uuid = (): string => `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`;
  const keyId = (p: Principal): string => `${p.kind === 'user' ? 'AKIA' : 'ASIA'}${r.hex(16).toUpperCase()}`;
  const roleId = new Map<string, string>();
  const idOf = (role: string): string => { let id = roleId.get(role); if (id === undefined) { id = `AROA${r.hex(17).toUpperCase()}`; roleId.set(role, id); } return id; };
  const identity = (ts: number, p: Principal, type?: string): Record<string, unknown> => {
    if (p.kind === 'service') return { type: 'AWSService', invokedBy: p.role };
    if (p.kind === 'user') return { type: 'IAMUser', principalId: idOf(p.role).replace('AROA', 'AIDA'), arn: `arn:aws:iam::${ACCOUNT}:user/${p.role}`, accountId: ACCOUNT, accessKeyId: keyId(p), userName: p.role };
    const roleName = p.kind === 'sso' ? `AWSReservedSSO_${p.role}_${idOf(p.role).slice(4, 20).toLowerCase()}` : p.role;
    const session = p.session(r);
    const base = { principalId: `${idOf(roleName)}:${session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`, accountId: ACCOUNT, accessKeyId: keyId(p) };
    if (type === 'WebIdentityUser') return { type, principalId: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:northwind/shop:ref:refs/heads/main`, userName: 'repo:northwind/shop:ref:refs/heads/main', identityProvider: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
    return { type: 'AssumedRole', ...base, sessionContext: { sessionIssuer: { type: 'Role', principalId: idOf(roleName), arn: `arn:aws:iam::${ACCOUNT}:role/${p.kind === 'sso' ? `aws-reserved/sso.amazonaws.com/${HOME}/` : ''}${roleName}`, accountId: ACCOUNT, userName: roleName }, attributes: { creationDate: new Date(ts - r.int(60, 3500) * 1000).toISOString().slice(0, 19) + 'Z', mfaAuthenticated: 'false' } } };
  };
  return {
    r, seed, t0, end, office, traffic, uuid,
    arrivals: (perSecond, shape) => {
      const out: number[] = [];
      for (let t = t0 + r.exp(1000 / perSecond); t < end; t += r.exp(1000 / perSecond)) if (shape === undefined || r.next() < shape(t)) out.push(Math.round(t));
      return out;
    },
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    hexId: (prefix, n = 17) => `${prefix}-0${r.hex(n - 1)}`,
    publicIp: () => `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    trail: (ts, p, source, name, o = {}) => {
      const region = o.region ?? (['iam.amazonaws.com', 'ce.amazonaws.com', 'pricing.amazonaws.com', 'health.amazonaws.com', 'cloudfront.amazonaws.com'].includes(source) ? 'us-east-1' : HOME);
      const rec: Record<string, unknown> = {
        eventVersion: '1.09', userIdentity: identity(ts, p, o.type), eventTime: new Date(ts).toISOString().slice(0, 19) + 'Z', eventSource: source, eventName: name, awsRegion: region,
        sourceIPAddress: o.ip ?? p.ip(r), userAgent: o.agent ?? p.agent(r),
      };
      if (o.error !== undefined) { rec.errorCode = o.error[0]; rec.errorMessage = o.error[1]; }
      Object.assign(rec, {
        requestParameters: o.params ?? null, responseElements: o.error !== undefined ? null : o.response ?? null, requestID: uuid(), eventID: uuid(),
        readOnly: o.readOnly ?? /^(Describe|Get|List|Lookup|Head|Decrypt|GenerateDataKey|BatchGet|Search|Filter)/.test(name), eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: ACCOUNT, eventCategory: 'Management',
      });
      if (p.kind !== 'service') rec.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${source.split('.')[0]}.${region}.amazonaws.com` };
      return JSON.stringify(rec);
    },
    audit: (ts, a) => {
      const uri = `/${a.group === undefined ? 'api/v1' : `apis/${a.group}/v1`}${a.namespace === undefined ? '' : `/namespaces/${a.namespace}`}/${a.resource}${a.name === undefined ? '' : `/${a.name}`}${a.sub === undefined ? '' : `/${a.sub}`}${a.verb === 'list' ? `?limit=${r.pick([500, 500, 0])}` : a.verb === 'watch' ? '?allowWatchBookmarks=true&watch=true' : ''}`.replace('limit=0', 'resourceVersion=0');
      const code = a.code ?? (a.verb === 'create' ? 201 : 200);
      const done = ts + Math.round(a.verb === 'watch' ? r.int(300_000, 540_000) : r.exp(12) + 1);
      const rec: Record<string, unknown> = {
        kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: uuid(), stage: 'ResponseComplete', requestURI: uri, verb: a.verb,
        user: { username: a.user, ...(a.groups === undefined ? {} : { groups: a.groups }) }, sourceIPs: [a.ip ?? `10.30.${r.int(16, 31)}.${r.int(2, 250)}`], userAgent: a.agent,
        objectRef: { resource: a.resource, ...(a.namespace === undefined ? {} : { namespace: a.namespace }), ...(a.name === undefined ? {} : { name: a.name }), ...(a.group === undefined ? {} : { apiGroup: a.group }), apiVersion: 'v1', ...(a.sub === undefined ? {} : { subresource: a.sub }) },
        responseStatus: { metadata: {}, ...(a.status === undefined ? {} : { status: 'Failure', message: a.status.message, reason: a.status.reason }), code },
        requestReceivedTimestamp: new Date(ts).toISOString().replace('Z', `${String(r.int(0, 999)).padStart(3, '0')}Z`), stageTimestamp: new Date(done).toISOString().replace('Z', `${String(r.int(0, 999)).padStart(3, '0')}Z`),
        annotations: { 'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow', 'authorization.k8s.io/reason': a.reason ?? '' },
      };
      return JSON.stringify(rec);
    },
    signin: (ts, s) => JSON.stringify({
      uuid: uuid(), published: new Date(ts).toISOString(), eventType: s.type, version: '0', severity: s.severity ?? (s.outcome === 'FAILURE' ? 'WARN' : 'INFO'), displayMessage: s.message,
      actor: { id: `00u${r.hex(17)}`, type: 'User', alternateId: `${s.user}@northwind.example`, displayName: s.user.split('.').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') },
      client: { userAgent: { rawUserAgent: s.agent ?? r.pick(CONSOLE.slice(0, 2)), os: r.pick(['Mac OS X', 'Windows 10']), browser: r.pick(['CHROME', 'FIREFOX']) }, zone: 'null', device: 'Computer', ipAddress: s.ip, geographicalContext: { city: s.city ?? r.pick(['Amsterdam', 'Hamburg', 'Utrecht', 'Berlin']), country: s.country ?? r.pick(['Netherlands', 'Germany']) } },
      outcome: { result: s.outcome ?? 'SUCCESS', reason: s.reason ?? null },
      transaction: { type: 'WEB', id: r.hex(20) },
      authenticationContext: { authenticationStep: 0, externalSessionId: `102${r.hex(22)}` },
      target: s.target === undefined ? null : [{ id: `0oa${r.hex(17)}`, type: 'AppInstance', alternateId: s.target, displayName: s.target }],
    }),
    row: (ts, stream, data, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
}
