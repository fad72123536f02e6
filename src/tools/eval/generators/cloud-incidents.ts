// The `cloud` generator's labelled incidents (see cloud.ts), after a 30-minute warm-up and none in
// the last 3 minutes, 90 s apart:
//   unusual_actor         3 calls of an API by a principal never seen on it (automation calls it
//                         all day): the invoice Lambda's role reading an IAM role or describing
//                         instances, an admin reading a production secret, the legacy backup
//                         user describing instances, an app's default service account listing
//                         secrets cluster-wide, Karpenter reading Argo CD's secrets
//   unseen_region         2 known calls in a region never used (a person's or the Lambda's call,
//                         in ap-southeast-1, sa-east-1, ...), or a sign-in from a new country
//   access_denied_burst   2 bursts of 20-60 denied requests from one principal within 20-90 s:
//                         a stolen access key enumerating APIs (AccessDenied,
//                         Client.UnauthorizedOperation), an app's service account probing the
//                         cluster (403), a password spray across many users from one address
//   privilege_escalation  2 sequences: a user creates a user, attaches AdministratorAccess and
//                         makes it an access key and a password; the deploy role attaches
//                         AdministratorAccess to itself and trusts a foreign account; a service
//                         account binds itself to cluster-admin and mints a token
//   new_error             3 never-seen errors: a KMS key pending deletion, a vCPU limit on
//                         CreateFleet, an etcd timeout, a failing admission webhook, a locked-out
//                         account
//   mass_deletion         2 bursts of 20-80 deletions by one principal in 40-120 s (EC2, RDS
//                         snapshots, secrets, log groups, keys, buckets; or deployments, services,
//                         config maps and secrets in the cluster) — the snapshot rotation's
//                         deletions at 05:00 are normal
//   off_hours             a person signs in before 06:30 (people start at 07:00) and does what
//                         they do all day; only the hour is unusual
import { call, humanSession, KUBECTL, kubectl, signIn } from './cloud.js';
import { HUMANS, NEW_REGIONS, P, type Cloud, type Row } from './cloud-lines.js';

const AUDIT = 'cloud/k8s-audit';
const SIGNIN = 'cloud/signin';
const SHOP_SA = 'system:serviceaccount:shop:default';
type Maker = (c: Cloud, rows: Row[], ts: number) => void;
const denied = (who: string, action: string): [string, string] => ['AccessDenied', `User: ${who} is not authorized to perform: ${action} because no identity-based policy allows the action`];

const UNUSUAL_ACTORS: Maker[] = [
  (c, rows, ts) => { rows.push(call(c, ts, P.renderer, 'iam.amazonaws.com', 'GetRole', {}, 'unusual_actor')); },
  (c, rows, ts) => { rows.push(call(c, ts, P.renderer, 'ec2.amazonaws.com', 'DescribeInstances', {}, 'unusual_actor')); },
  (c, rows, ts) => { rows.push(call(c, ts, P['alice.schmidt'], 'secretsmanager.amazonaws.com', 'GetSecretValue', {}, 'unusual_actor')); },
  (c, rows, ts) => { rows.push(call(c, ts, P.legacy, 'ec2.amazonaws.com', 'DescribeInstances', {}, 'unusual_actor')); },
  (c, rows, ts) => { rows.push(c.row(ts, AUDIT, c.audit(ts, { user: SHOP_SA, verb: 'list', resource: 'secrets', agent: 'python-requests/2.32.3', ip: `10.30.${c.r.int(32, 47)}.${c.r.int(2, 250)}` }), 'unusual_actor')); },
  (c, rows, ts) => { rows.push(c.row(ts, AUDIT, c.audit(ts, { user: 'system:serviceaccount:karpenter:karpenter', verb: 'get', resource: 'secrets', namespace: 'argocd', name: 'argocd-secret', agent: 'karpenter/v1.0.8' }), 'unusual_actor')); },
];

const UNSEEN_REGIONS: Maker[] = [
  (c, rows, ts) => { const p = P[c.r.pick(HUMANS)[0]]; rows.push(call(c, ts, p, 'ec2.amazonaws.com', 'DescribeInstances', { region: c.r.pick(NEW_REGIONS) }, 'unseen_region')); },
  (c, rows, ts) => { rows.push(call(c, ts, P.renderer, 'kms.amazonaws.com', 'Decrypt', { region: c.r.pick(NEW_REGIONS) }, 'unseen_region')); },
  (c, rows, ts) => { const [city, country] = c.r.pick([['São Paulo', 'Brazil'], ['Lagos', 'Nigeria'], ['Hanoi', 'Vietnam'], ['Almaty', 'Kazakhstan']]); signIn(c, rows, ts, c.r.pick(HUMANS)[0], ['AWS IAM Identity Center'], { ip: c.publicIp(), city, country, kind: 'unseen_region' }); },
];

const ENUM: [string, string, string][] = [['iam.amazonaws.com', 'ListUsers', 'iam'], ['iam.amazonaws.com', 'ListRoles', 'iam'], ['iam.amazonaws.com', 'ListPolicies', 'iam'], ['s3.amazonaws.com', 'ListBuckets', 's3'], ['ec2.amazonaws.com', 'DescribeInstances', 'ec2'], ['ec2.amazonaws.com', 'DescribeVpcs', 'ec2'], ['secretsmanager.amazonaws.com', 'ListSecrets', 'secretsmanager'], ['kms.amazonaws.com', 'ListKeys', 'kms'], ['lambda.amazonaws.com', 'ListFunctions20150331', 'lambda'], ['rds.amazonaws.com', 'DescribeDBInstances', 'rds'], ['organizations.amazonaws.com', 'DescribeOrganization', 'organizations'], ['dynamodb.amazonaws.com', 'ListTables', 'dynamodb']];
const SPRAY_USERS = ['admin', 'it.support', 'j.smith', 'm.mueller', 'info', 'helpdesk', 'k.berg', 'test', 'backup', 'finance', 'hr', 'marketing', 'ops', 'sales'];

function accessDeniedBurst(c: Cloud, rows: Row[], ts: number, which: number): void {
  const { r } = c;
  const n = r.int(20, 60), span = r.int(20_000, 90_000);
  const ip = c.publicIp();
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n);
    if (which === 0) {
      const [source, name, svc] = r.pick(ENUM);
      rows.push(call(c, t, P.legacy, source, name, { ip, agent: 'python-requests/2.31.0 Boto3/1.34.11', error: svc === 'ec2' ? ['Client.UnauthorizedOperation', 'You are not authorized to perform this operation. User: arn:aws:iam::418272790193:user/svc-legacy-backup is not authorized to perform: ec2:' + name] : denied('arn:aws:iam::418272790193:user/svc-legacy-backup', `${svc}:${name}`) }, 'access_denied_burst'));
    } else if (which === 1) {
      const [verb, resource, ns] = r.pick([['list', 'secrets', undefined], ['get', 'secrets', 'kube-system'], ['list', 'nodes', undefined], ['list', 'clusterroles', undefined], ['create', 'pods', 'kube-system'], ['list', 'pods', 'kube-system'], ['get', 'configmaps', 'kube-system']] as const);
      const sa = 'system:serviceaccount:shop:orders-api';
      rows.push(c.row(t, AUDIT, c.audit(t, { user: sa, verb, resource, namespace: ns, group: resource === 'clusterroles' ? 'rbac.authorization.k8s.io' : undefined, code: 403, agent: 'kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b', ip: `10.30.${r.int(32, 47)}.${r.int(2, 250)}`, status: { message: `${resource} is forbidden: User "${sa}" cannot ${verb} resource "${resource}" in API group "" ${ns === undefined ? 'at the cluster scope' : `in the namespace "${ns}"`}`, reason: 'Forbidden' } }), 'access_denied_burst'));
    } else {
      const user = r.chance(0.3) ? r.pick(HUMANS)[0] : r.pick(SPRAY_USERS);
      rows.push(c.row(t, SIGNIN, c.signin(t, { type: 'user.session.start', user, message: 'User login to Okta', outcome: 'FAILURE', reason: 'INVALID_CREDENTIALS', ip, city: 'Frankfurt am Main', country: 'Germany', agent: 'python-requests/2.31.0' }), 'access_denied_burst'));
    }
  }
}

function privilegeEscalation(c: Cloud, rows: Row[], ts: number, which: number): void {
  const { r } = c;
  let t = ts;
  const step = (): number => { t += r.int(2000, 30_000); return t; };
  if (which === 0) {
    const ip = c.publicIp(), agent = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-26-generic exe/x86_64.ubuntu.22', user = r.pick(['svc-support', 'backup-admin', 'aws-health-check']);
    rows.push(call(c, t, P.legacy, 'iam.amazonaws.com', 'CreateUser', { ip, agent, params: { userName: user }, response: { user: { userName: user, arn: `arn:aws:iam::418272790193:user/${user}` } } }, 'privilege_escalation'));
    rows.push(call(c, step(), P.legacy, 'iam.amazonaws.com', 'AttachUserPolicy', { ip, agent, params: { userName: user, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }, 'privilege_escalation'));
    rows.push(call(c, step(), P.legacy, 'iam.amazonaws.com', 'CreateAccessKey', { ip, agent, params: { userName: user }, response: { accessKey: { userName: user, accessKeyId: `AKIA${r.hex(16).toUpperCase()}`, status: 'Active' } } }, 'privilege_escalation'));
    rows.push(call(c, step(), P.legacy, 'iam.amazonaws.com', 'CreateLoginProfile', { ip, agent, params: { userName: user, passwordResetRequired: false } }, 'privilege_escalation'));
  } else if (which === 1) {
    rows.push(call(c, t, P.deployer, 'iam.amazonaws.com', 'AttachRolePolicy', { params: { roleName: 'github-actions-deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }, 'privilege_escalation'));
    rows.push(call(c, step(), P.deployer, 'iam.amazonaws.com', 'UpdateAssumeRolePolicy', { params: { roleName: 'github-actions-deploy', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::760341992218:root"},"Action":"sts:AssumeRole"}]}' } }, 'privilege_escalation'));
    rows.push(call(c, step(), P.deployer, 'iam.amazonaws.com', 'CreateAccessKey', { params: { userName: 'alice.schmidt' }, response: { accessKey: { userName: 'alice.schmidt', accessKeyId: `AKIA${r.hex(16).toUpperCase()}`, status: 'Active' } } }, 'privilege_escalation'));
  } else {
    const ip = `10.30.${r.int(32, 47)}.${r.int(2, 250)}`, agent = 'kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b';
    rows.push(c.row(t, AUDIT, c.audit(t, { user: SHOP_SA, verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io', code: 201, agent, ip, reason: 'RBAC: allowed by RoleBinding "shop-deployer/shop" of ClusterRole "edit" to ServiceAccount "default/shop"' }), 'privilege_escalation'));
    rows.push(c.row(step(), AUDIT, c.audit(t, { user: SHOP_SA, verb: 'create', resource: 'serviceaccounts', namespace: 'kube-system', name: 'default', sub: 'token', code: 201, agent, ip, reason: 'RBAC: allowed by ClusterRoleBinding "debug-admin" of ClusterRole "cluster-admin" to ServiceAccount "default/shop"' }), 'privilege_escalation'));
    rows.push(c.row(step(), AUDIT, c.audit(t, { user: SHOP_SA, verb: 'list', resource: 'secrets', agent, ip, reason: 'RBAC: allowed by ClusterRoleBinding "debug-admin" of ClusterRole "cluster-admin" to ServiceAccount "default/shop"' }), 'privilege_escalation'));
  }
}

const NEW_ERRORS: Maker[] = [
  (c, rows, ts) => { rows.push(call(c, ts, P.renderer, 'kms.amazonaws.com', 'Decrypt', { error: ['KMSInvalidStateException', `arn:aws:kms:eu-west-1:418272790193:key/${c.uuid()} is pending deletion.`] }, 'new_error')); },
  (c, rows, ts) => { rows.push(call(c, ts, P.karpenter, 'ec2.amazonaws.com', 'CreateFleet', { params: { type: 'instant', targetCapacitySpecification: { totalTargetCapacity: 1, defaultTargetCapacityType: 'on-demand' } }, error: ['Client.VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit of 256 allows for the instance bucket that the specified instance type belongs to.'] }, 'new_error')); },
  (c, rows, ts) => { rows.push(c.row(ts, AUDIT, c.audit(ts, { user: 'system:kube-controller-manager', verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name: 'kube-controller-manager', agent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election', code: 500, status: { message: 'etcdserver: request timed out', reason: 'InternalError' } }), 'new_error')); },
  (c, rows, ts) => { rows.push(c.row(ts, AUDIT, c.audit(ts, { user: 'system:serviceaccount:kube-system:replicaset-controller', verb: 'create', resource: 'pods', namespace: 'shop', agent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller', code: 500, status: { message: 'Internal error occurred: failed calling webhook "validate.kyverno.svc-fail": failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/validate/fail?timeout=10s": context deadline exceeded', reason: 'InternalError' } }), 'new_error')); },
  (c, rows, ts) => { rows.push(c.row(ts, SIGNIN, c.signin(ts, { type: 'user.account.lock', user: c.r.pick(HUMANS)[0], message: 'Max sign in attempts exceeded', outcome: 'FAILURE', reason: 'LOCKED_OUT', ip: c.publicIp(), severity: 'WARN' }), 'new_error')); },
];

function massDeletion(c: Cloud, rows: Row[], ts: number, k8s: boolean): void {
  const { r } = c;
  const n = r.int(20, 80), span = r.int(40_000, 120_000);
  const p = P[r.pick(['bob.jansen', 'hugo.bakker', 'erin.kowalski'])];
  const ip = p.ip(r), agent = p.agent(r);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n);
    if (k8s) {
      const [resource, group] = r.pick([['deployments', 'apps'], ['services', undefined], ['configmaps', undefined], ['secrets', undefined], ['persistentvolumeclaims', undefined], ['statefulsets', 'apps']] as const);
      rows.push(c.row(t, AUDIT, c.audit(t, { user: `${p.name}@northwind.example`, groups: ['eks-admins', 'system:authenticated'], verb: 'delete', resource, group, namespace: r.pick(['shop', 'billing']), name: `${r.pick(['storefront', 'orders-api', 'billing-api', 'redis', 'payments'])}-${r.hex(4)}`, agent: KUBECTL, ip: '185.92.24.7' }), 'mass_deletion'));
    } else {
      const [source, name] = r.pick([['ec2.amazonaws.com', 'DeleteSnapshot'], ['ec2.amazonaws.com', 'TerminateInstances'], ['rds.amazonaws.com', 'DeleteDBSnapshot'], ['secretsmanager.amazonaws.com', 'DeleteSecret'], ['logs.amazonaws.com', 'DeleteLogGroup'], ['kms.amazonaws.com', 'ScheduleKeyDeletion'], ['s3.amazonaws.com', 'DeleteBucket']] as const);
      rows.push(call(c, t, p, source, name, { ip, agent }, 'mass_deletion'));
    }
  }
}

function offHours(c: Cloud, rows: Row[], ts: number): void {
  const { r } = c;
  const name = r.pick(['alice.schmidt', 'erin.kowalski', 'bob.jansen']);
  signIn(c, rows, ts, name, ['AWS IAM Identity Center'], { kind: 'off_hours' });
  humanSession(c, rows, ts + 30_000, P[name], r.int(5, 15), 'off_hours');
  if (r.chance(0.5)) kubectl(c, rows, ts + r.int(60_000, 300_000), name, r.int(2, 6), 'off_hours');
}

/** Every kind, at random times after the warm-up (off_hours before people start). */
export function injectCloudIncidents(c: Cloud, rows: Row[]): void {
  const { r } = c;
  const used: number[] = [];
  const at = (lo = c.t0 + 1_800_000, hi = c.end - 180_000): number => {
    let t = 0;
    for (let tries = 0; tries < 200; tries++) {
      t = lo + Math.floor(r.next() * (hi - lo));
      if (used.every((u) => Math.abs(u - t) >= 90_000)) break;
    }
    used.push(t);
    return t;
  };
  offHours(c, rows, at(c.t0 + 1_800_000, c.t0 + 8_400_000));
  for (let k = 0; k < 3; k++) UNUSUAL_ACTORS[(c.seed * 3 + k) % UNUSUAL_ACTORS.length](c, rows, at());
  for (let k = 0; k < 2; k++) UNSEEN_REGIONS[(c.seed * 2 + k) % UNSEEN_REGIONS.length](c, rows, at());
  for (let k = 0; k < 2; k++) accessDeniedBurst(c, rows, at(), (c.seed + k) % 3);
  for (let k = 0; k < 2; k++) privilegeEscalation(c, rows, at(), (c.seed + k) % 3);
  for (let k = 0; k < 3; k++) NEW_ERRORS[(c.seed * 3 + k) % NEW_ERRORS.length](c, rows, at());
  for (let k = 0; k < 2; k++) massDeletion(c, rows, at(), (c.seed + k) % 2 === 1);
}
