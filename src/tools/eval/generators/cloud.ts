// Generator `cloud`: a cloud control plane's audit records over a working morning, a style written
// without reading the detector (honest evaluation on data nobody tuned on).
//
//   seed ─► world() (cloud-lines.ts) ─► 8 hours from 04:00 UTC: automation all the time, traffic-
//   │       driven calls rising from a trough, people from 07:00 (a ramp to 09:00); three streams:
//   │         cloud/cloudtrail  CloudTrail management events: Karpenter's EC2 calls, two app roles'
//   │                           KMS/Secrets Manager/SSM reads, AWS services assuming task roles,
//   │                           GitHub Actions deploys (ECR push, ECS task definition and service
//   │                           update), hourly Terraform plans (bursts of IAM/EC2/S3 reads with
//   │                           their normal NoSuch* errors), the nightly snapshot rotation (a
//   │                           normal burst of DeleteSnapshot), SSO users' console and CLI work (a
//   │                           read-only user's occasional AccessDenied)
//   │         cloud/k8s-audit   Kubernetes audit events (level Metadata): leader leases, kubelets,
//   │                           Argo CD, Karpenter, a metrics exporter denied a CRD every 5 minutes,
//   │                           rollouts (pods created and deleted), people's kubectl
//   │         cloud/signin      an identity provider's system log: sign-on policy, sessions, MFA,
//   │                           SSO into apps; a mistyped password now and then
//   │       benign novelty on normal lines: fresh request, event and audit ids, session names, keys,
//   │       source IPs, instance/snapshot ids, timestamps
//   └─► incidents after a 30-minute warm-up (cloud-incidents.ts): unusual_actor, unseen_region,
//       access_denied_burst, privilege_escalation, new_error, mass_deletion, off_hours
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { injectCloudIncidents } from './cloud-incidents.js';
import { HUMANS, P, world, type Cloud, type Principal, type Row, type TrailOptions } from './cloud-lines.js';

export const CLOUD_KINDS = ['unusual_actor', 'unseen_region', 'access_denied_burst', 'privilege_escalation', 'new_error', 'mass_deletion', 'off_hours'] as const;
const TRAIL = 'cloud/cloudtrail';
const AUDIT = 'cloud/k8s-audit';
const SIGNIN = 'cloud/signin';

/** Request parameters of a call, drawn fresh (ids, names) for the APIs that carry some. */
export function params(c: Cloud, name: string): Record<string, unknown> | null {
  const { r } = c;
  switch (name) {
    case 'DescribeInstances': return { instancesSet: {}, filterSet: { items: [{ name: 'tag:karpenter.sh/nodepool', valueSet: { items: [{ value: r.pick(['default', 'spot', 'gpu']) }] } }] } };
    case 'TerminateInstances': case 'StopInstances': case 'StartInstances': return { instancesSet: { items: [{ instanceId: c.hexId('i') }] } };
    case 'DeleteSnapshot': return { snapshotId: c.hexId('snap') };
    case 'CreateTags': return { resourcesSet: { items: [{ resourceId: c.hexId('i') }] }, tagSet: { items: [{ key: 'karpenter.sh/nodeclaim', value: `default-${r.hex(5)}` }] } };
    case 'Decrypt': case 'GenerateDataKey': return { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', keyId: `arn:aws:kms:eu-west-1:418272790193:key/${c.uuid()}`, ...(name === 'GenerateDataKey' ? { keySpec: 'AES_256' } : {}) };
    case 'GetSecretValue': return { secretId: `arn:aws:secretsmanager:eu-west-1:418272790193:secret:prod/${r.pick(['orders/db', 'orders/stripe', 'billing/smtp', 'shared/datadog'])}-${r.hex(6)}` };
    case 'GetParameter': case 'GetParameters': return { name: r.pick(['/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id', '/prod/orders/feature-flags', '/prod/orders/rate-limits']), withDecryption: r.chance(0.5) };
    case 'AssumeRole': return { roleArn: `arn:aws:iam::418272790193:role/${r.pick(['orders-api-task', 'invoice-renderer-lambda', 'billing-worker-task'])}`, roleSessionName: r.hex(32), durationSeconds: 3600 };
    case 'UpdateService': case 'DescribeServices': return { cluster: 'prod', ...(name === 'UpdateService' ? { service: r.pick(['orders-api', 'billing-api', 'web']), taskDefinition: `${r.pick(['orders-api', 'billing-api', 'web'])}:${r.int(300, 900)}`, forceNewDeployment: false } : { services: [r.pick(['orders-api', 'billing-api', 'web'])] }) };
    case 'GetRole': case 'ListAttachedRolePolicies': case 'ListRolePolicies': return { roleName: r.pick(['orders-api-task', 'invoice-renderer-lambda', 'KarpenterControllerRole-prod', 'github-actions-deploy', 'eks-node-role']) };
    case 'GetBucketPolicy': case 'GetBucketVersioning': case 'GetBucketTagging': case 'GetBucketWebsite': case 'GetBucketAcl': case 'DeleteBucket': return { bucketName: r.pick(['northwind-invoices-prod', 'northwind-assets', 'northwind-tf-state', 'northwind-logs-archive', 'northwind-exports']), Host: 's3.eu-west-1.amazonaws.com' };
    case 'FilterLogEvents': return { logGroupName: `/ecs/${r.pick(['orders-api', 'billing-api', 'web'])}`, startTime: c.t0, filterPattern: r.pick(['ERROR', '"timeout"', '']) };
    default: return null;
  }
}

export const call = (c: Cloud, ts: number, p: Principal, source: string, name: string, o: TrailOptions = {}, kind?: string): Row =>
  c.row(ts, TRAIL, c.trail(ts, p, source, name, { params: params(c, name), ...o }), kind);

/** What each SSO permission set's people do in the console or CLI: [source, name]. */
const READS: [string, string][] = [['ec2.amazonaws.com', 'DescribeInstances'], ['ec2.amazonaws.com', 'DescribeSecurityGroups'], ['s3.amazonaws.com', 'ListBuckets'], ['rds.amazonaws.com', 'DescribeDBInstances'], ['ecs.amazonaws.com', 'ListClusters'], ['ecs.amazonaws.com', 'DescribeServices'], ['logs.amazonaws.com', 'FilterLogEvents'], ['monitoring.amazonaws.com', 'GetMetricData'], ['cloudformation.amazonaws.com', 'DescribeStacks'], ['health.amazonaws.com', 'DescribeEvents'], ['ce.amazonaws.com', 'GetCostAndUsage']];
export const WORK: Record<string, [string, string][]> = {
  AdministratorAccess: [...READS, ['iam.amazonaws.com', 'ListRoles'], ['iam.amazonaws.com', 'GetRole'], ['iam.amazonaws.com', 'ListUsers']],
  PowerUserAccess: [...READS, ['ecs.amazonaws.com', 'UpdateService'], ['ec2.amazonaws.com', 'StopInstances'], ['ec2.amazonaws.com', 'StartInstances'], ['lambda.amazonaws.com', 'UpdateFunctionConfiguration20150331v2']],
  ReadOnlyAccess: READS,
  DataEngineer: [['athena.amazonaws.com', 'StartQueryExecution'], ['athena.amazonaws.com', 'GetQueryExecution'], ['glue.amazonaws.com', 'GetTables'], ['glue.amazonaws.com', 'GetDatabases'], ['redshift.amazonaws.com', 'DescribeClusters'], ['s3.amazonaws.com', 'ListBuckets']],
};

/** One person's working session in the console or CLI: n calls over some minutes. */
export function humanSession(c: Cloud, rows: Row[], ts: number, p: Principal, n: number, kind?: string): void {
  const { r } = c;
  const ip = p.ip(r), agent = p.agent(r);
  let t = ts;
  for (let k = 0; k < n && t < c.end; k++) {
    const [source, name] = r.pick(WORK[p.role]);
    const region = source === 'ec2.amazonaws.com' && r.chance(0.1) ? 'eu-central-1' : undefined;
    rows.push(call(c, t, p, source, name, { ip, agent, ...(region === undefined ? {} : { region }) }, kind));
    t += Math.round(c.around(20_000, 1));
  }
  if (kind === undefined && p.role === 'ReadOnlyAccess' && r.chance(0.15)) {
    const [source, name] = r.pick([['ecs.amazonaws.com', 'UpdateService'], ['ec2.amazonaws.com', 'StopInstances']] as const);
    rows.push(call(c, t, p, source, name, { ip, agent, error: ['AccessDenied', `User: arn:aws:sts::418272790193:assumed-role/AWSReservedSSO_ReadOnlyAccess/${p.session(r)} is not authorized to perform: ${source.split('.')[0]}:${name} because no identity-based policy allows the action`] }));
  }
}

/** A person's sign-in: policy, session, MFA, SSO into `apps`. */
export function signIn(c: Cloud, rows: Row[], ts: number, user: string, apps: string[], o: { ip?: string; country?: string; city?: string; kind?: string; fail?: boolean } = {}): void {
  const { r } = c;
  const ip = o.ip ?? (r.chance(0.7) ? r.pick(['185.92.24.7', '185.92.24.8', '91.64.113.20']) : `${r.pick([84, 87, 91, 93])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`);
  const where = { ip, ...(o.country === undefined ? {} : { country: o.country, city: o.city }) };
  let t = ts;
  const push = (type: string, message: string, extra: Record<string, string> = {}): void => { rows.push(c.row(t, SIGNIN, c.signin(t, { type, user, message, ...where, ...extra }), o.kind)); t += r.int(400, 9000); };
  push('policy.evaluate_sign_on', 'Evaluation of sign-on policy', { outcome: 'ALLOW' });
  if (o.fail === true) push('user.session.start', 'User login to Okta', { outcome: 'FAILURE', reason: 'INVALID_CREDENTIALS' });
  push('user.session.start', 'User login to Okta', { outcome: 'SUCCESS' });
  push('user.authentication.auth_via_mfa', 'Authentication of user via MFA', { outcome: 'SUCCESS' });
  for (const app of apps) push('user.authentication.sso', 'User single sign on to app', { outcome: 'SUCCESS', target: app });
}

function automation(c: Cloud, rows: Row[]): void {
  const { r } = c;
  const K = P.karpenter;
  for (const ts of c.arrivals(0.25)) {
    const k = r.next();
    const [source, name] = k < 0.4 ? ['ec2.amazonaws.com', 'DescribeInstances'] : k < 0.5 ? ['ec2.amazonaws.com', 'DescribeInstanceTypes'] : k < 0.6 ? ['ec2.amazonaws.com', 'DescribeSubnets'] : k < 0.7 ? ['ec2.amazonaws.com', 'DescribeSecurityGroups'] : k < 0.8 ? ['ec2.amazonaws.com', 'DescribeLaunchTemplates'] : k < 0.95 ? ['ssm.amazonaws.com', 'GetParameter'] : ['pricing.amazonaws.com', 'GetProducts'];
    rows.push(call(c, ts, K, source, name, name === 'DescribeInstances' && r.chance(0.015) ? { error: ['Client.RequestLimitExceeded', 'Request limit exceeded.'] } : {}));
  }
  for (const ts of c.arrivals(1 / 600, c.traffic)) {
    const fleet = `fleet-${c.uuid()}`;
    rows.push(call(c, ts, K, 'ec2.amazonaws.com', 'CreateFleet', { params: { type: 'instant', targetCapacitySpecification: { totalTargetCapacity: 1, defaultTargetCapacityType: r.pick(['on-demand', 'spot']) } }, response: { fleetId: fleet } }));
    rows.push(call(c, ts + r.int(800, 3000), K, 'ec2.amazonaws.com', 'CreateTags'));
  }
  for (const ts of c.arrivals(1 / 900)) rows.push(call(c, ts, K, 'ec2.amazonaws.com', 'TerminateInstances'));
  for (const ts of c.arrivals(0.15, c.traffic)) {
    const [source, name] = r.pick([['kms.amazonaws.com', 'Decrypt'], ['kms.amazonaws.com', 'Decrypt'], ['kms.amazonaws.com', 'GenerateDataKey'], ['secretsmanager.amazonaws.com', 'GetSecretValue']] as const);
    rows.push(call(c, ts, P.renderer, source, name));
  }
  for (const ts of c.arrivals(0.12, c.traffic)) {
    const [source, name] = r.pick([['secretsmanager.amazonaws.com', 'GetSecretValue'], ['kms.amazonaws.com', 'Decrypt'], ['ssm.amazonaws.com', 'GetParameters']] as const);
    rows.push(call(c, ts, P.orders, source, name, name === 'GetSecretValue' && r.chance(0.01) ? { error: ['ResourceNotFoundException', "Secrets Manager can't find the specified secret."] } : {}));
  }
  for (const ts of c.arrivals(0.1, c.traffic)) rows.push(call(c, ts, P.ecsTasks, 'sts.amazonaws.com', 'AssumeRole'));
  for (const ts of c.arrivals(0.08, c.traffic)) rows.push(call(c, ts, P.lambda, 'sts.amazonaws.com', 'AssumeRole'));
  for (let ts = c.t0 + r.int(0, 899_999); ts < c.end; ts += 900_000 + r.int(-5000, 5000)) rows.push(call(c, ts, P.legacy, 'rds.amazonaws.com', 'DescribeDBSnapshots', { params: { dBInstanceIdentifier: 'legacy-erp', snapshotType: 'manual' } }));
  // The snapshot rotation at 05:00: new snapshots, then the old ones deleted (a normal burst).
  let ts = c.t0 + 3_600_000 + r.int(0, 120_000);
  for (let k = 0; k < 3; k++) rows.push(call(c, ts + k * 400, P.dlm, 'ec2.amazonaws.com', 'CreateSnapshots', { params: { instanceSpecification: { instanceId: c.hexId('i') }, copyTagsFromSource: 'volume' } }));
  for (let k = r.int(20, 30); k > 0; k--) { ts += r.int(500, 5000); rows.push(call(c, ts, P.dlm, 'ec2.amazonaws.com', 'DeleteSnapshot')); }
}

const TF_READS: [string, string][] = [['iam.amazonaws.com', 'GetRole'], ['iam.amazonaws.com', 'ListAttachedRolePolicies'], ['iam.amazonaws.com', 'ListRolePolicies'], ['iam.amazonaws.com', 'GetPolicy'], ['iam.amazonaws.com', 'GetPolicyVersion'], ['ec2.amazonaws.com', 'DescribeVpcs'], ['ec2.amazonaws.com', 'DescribeSubnets'], ['ec2.amazonaws.com', 'DescribeSecurityGroups'], ['ec2.amazonaws.com', 'DescribeRouteTables'], ['s3.amazonaws.com', 'GetBucketPolicy'], ['s3.amazonaws.com', 'GetBucketVersioning'], ['s3.amazonaws.com', 'GetBucketTagging'], ['s3.amazonaws.com', 'GetBucketWebsite'], ['s3.amazonaws.com', 'GetBucketAcl'], ['rds.amazonaws.com', 'DescribeDBInstances'], ['kms.amazonaws.com', 'DescribeKey'], ['kms.amazonaws.com', 'GetKeyPolicy'], ['eks.amazonaws.com', 'DescribeCluster']];
const TF_MISSING: Record<string, [string, string]> = { GetBucketPolicy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'], GetBucketTagging: ['NoSuchTagSet', 'The TagSet does not exist'], GetBucketWebsite: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'] };

function pipelines(c: Cloud, rows: Row[]): void {
  const { r } = c;
  for (let ts = c.t0 + r.int(0, 3_600_000); ts < c.end; ts += r.int(2_700_000, 5_400_000)) {
    let t = ts;
    for (let k = r.int(40, 120); k > 0; k--) {
      const [source, name] = r.pick(TF_READS);
      rows.push(call(c, t, P.terraform, source, name, TF_MISSING[name] !== undefined && r.chance(0.6) ? { error: TF_MISSING[name] } : {}));
      t += r.int(50, 900);
    }
  }
  for (const start of c.arrivals(1 / 1800, (t) => 0.2 + 0.8 * c.office(t))) deploy(c, rows, start);
}

/** A GitHub Actions deploy: web identity, ECR push, new task definition, service update, then Argo CD's rollout in the cluster. */
function deploy(c: Cloud, rows: Row[], ts: number): void {
  const { r } = c;
  const D = P.deployer;
  const svc = r.pick(['orders-api', 'billing-api', 'web']);
  let t = ts;
  const next = (source: string, name: string, o: TrailOptions = {}): void => { rows.push(call(c, t, D, source, name, o)); t += r.int(300, 6000); };
  next('sts.amazonaws.com', 'AssumeRoleWithWebIdentity', { type: 'WebIdentityUser', params: { roleArn: 'arn:aws:iam::418272790193:role/github-actions-deploy', roleSessionName: `GitHubActions-${r.int(1_000_000, 9_999_999)}` } });
  next('ecr.amazonaws.com', 'GetAuthorizationToken');
  next('ecr.amazonaws.com', 'BatchCheckLayerAvailability', { params: { repositoryName: svc } });
  for (let k = r.int(1, 3); k > 0; k--) { next('ecr.amazonaws.com', 'InitiateLayerUpload', { params: { repositoryName: svc } }); next('ecr.amazonaws.com', 'CompleteLayerUpload', { params: { repositoryName: svc, uploadId: c.uuid() } }); }
  next('ecr.amazonaws.com', 'PutImage', { params: { repositoryName: svc, imageTag: r.hex(7) } });
  next('ecs.amazonaws.com', 'RegisterTaskDefinition', { params: { family: svc } });
  next('ecs.amazonaws.com', 'UpdateService', { params: { cluster: 'prod', service: svc } });
  for (let k = r.int(3, 8); k > 0; k--) { next('ecs.amazonaws.com', 'DescribeServices', { params: { cluster: 'prod', services: [svc] } }); t += 15_000; }
  next('ecs.amazonaws.com', 'DeregisterTaskDefinition', { params: { taskDefinition: `${svc}:${r.int(300, 900)}` } });
  // The cluster side: Argo CD patches the deployment; the replica set controller replaces the pods.
  rows.push(c.row(t, AUDIT, c.audit(t, { user: 'system:serviceaccount:argocd:argocd-application-controller', verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'shop', name: 'storefront', agent: 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/$Format', reason: 'RBAC: allowed by ClusterRoleBinding "argocd-application-controller" of ClusterRole "argocd-application-controller" to ServiceAccount "argocd-application-controller/argocd"' })));
  for (let k = 0; k < 3; k++) {
    const pod = `storefront-${r.hex(10).replace(/[0-9]/g, 'x')}-${r.hex(5)}`;
    const at = t + 2000 + k * r.int(5000, 20_000);
    rows.push(c.row(at, AUDIT, c.audit(at, { user: 'system:serviceaccount:kube-system:replicaset-controller', verb: 'create', resource: 'pods', namespace: 'shop', agent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller', reason: 'RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"' })));
    rows.push(c.row(at + 40, AUDIT, c.audit(at + 40, { user: 'system:kube-scheduler', verb: 'create', resource: 'pods', sub: 'binding', namespace: 'shop', name: pod, agent: 'kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/scheduler', reason: 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"' })));
    rows.push(c.row(at + 20_000, AUDIT, c.audit(at + 20_000, { user: 'system:serviceaccount:kube-system:replicaset-controller', verb: 'delete', resource: 'pods', namespace: 'shop', name: `storefront-${r.hex(10).replace(/[0-9]/g, 'x')}-${r.hex(5)}`, agent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller', reason: 'RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"' })));
  }
}

export const NODES = (c: Cloud): string[] => Array.from({ length: 12 }, () => `ip-10-30-${c.r.int(16, 31)}-${c.r.int(2, 250)}.eu-west-1.compute.internal`);
export const KUBECTL = 'kubectl/v1.31.3 (darwin/arm64) kubernetes/c83cbee';

function cluster(c: Cloud, rows: Row[]): void {
  const { r } = c;
  const push = (ts: number, a: Parameters<Cloud['audit']>[1]): void => { rows.push(c.row(ts, AUDIT, c.audit(ts, a))); };
  for (const [user, name, agent] of [['system:kube-controller-manager', 'kube-controller-manager', 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election'], ['system:kube-scheduler', 'kube-scheduler', 'kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election'], ['system:serviceaccount:karpenter:karpenter', 'karpenter-leader-election', 'karpenter/v1.0.8']]) {
    for (let ts = c.t0 + r.int(0, 9999); ts < c.end; ts += 10_000 + r.int(-200, 200)) push(ts, { user, verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name, agent, code: r.chance(0.004) ? 409 : 200 });
  }
  for (const node of NODES(c)) {
    const user = `system:node:${node}`, agent = 'kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46';
    for (let ts = c.t0 + r.int(0, 59_999); ts < c.end; ts += 60_000 + r.int(-500, 500)) push(ts, { user, groups: ['system:nodes', 'system:authenticated'], verb: 'patch', resource: 'nodes', name: node, sub: 'status', agent, ip: `10.30.${node.split('-')[3]}.${node.split('-')[4].split('.')[0]}` });
    for (let ts = c.t0 + r.int(0, 39_999); ts < c.end; ts += 40_000 + r.int(-300, 300)) push(ts, { user, groups: ['system:nodes', 'system:authenticated'], verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-node-lease', name: node, agent, ip: `10.30.${node.split('-')[3]}.${node.split('-')[4].split('.')[0]}` });
  }
  const ARGO = 'system:serviceaccount:argocd:argocd-application-controller';
  for (const ts of c.arrivals(0.15)) {
    const [verb, resource, group, ns] = r.pick([['get', 'applications', 'argoproj.io', 'argocd'], ['list', 'deployments', 'apps', undefined], ['watch', 'configmaps', undefined, undefined], ['get', 'secrets', undefined, 'argocd'], ['list', 'secrets', undefined, 'argocd'], ['list', 'services', undefined, undefined], ['patch', 'applications', 'argoproj.io', 'argocd']] as const);
    push(ts, { user: ARGO, verb, resource, group, namespace: ns, name: verb === 'get' || verb === 'patch' ? (resource === 'secrets' ? r.pick(['argocd-secret', 'repo-shop', 'cluster-prod']) : r.pick(['shop', 'billing', 'platform', 'monitoring'])) : undefined, agent: 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/$Format' });
  }
  for (const ts of c.arrivals(0.1)) {
    const [verb, resource, group] = r.pick([['list', 'nodeclaims', 'karpenter.sh'], ['get', 'nodeclaims', 'karpenter.sh'], ['patch', 'nodeclaims', 'karpenter.sh'], ['list', 'nodes', undefined], ['list', 'pods', undefined]] as const);
    push(ts, { user: 'system:serviceaccount:karpenter:karpenter', verb, resource, group, name: verb === 'list' ? undefined : `default-${r.hex(5)}`, agent: 'karpenter/v1.0.8' });
  }
  for (let ts = c.t0 + r.int(0, 299_999); ts < c.end; ts += 300_000 + r.int(-100, 100)) {
    push(ts, { user: 'system:serviceaccount:monitoring:kube-state-metrics', verb: 'list', resource: 'verticalpodautoscalers', group: 'autoscaling.k8s.io', code: 403, agent: 'v2.13.0 (linux/amd64) kubernetes/$Format', status: { message: 'verticalpodautoscalers.autoscaling.k8s.io is forbidden: User "system:serviceaccount:monitoring:kube-state-metrics" cannot list resource "verticalpodautoscalers" in API group "autoscaling.k8s.io" at the cluster scope', reason: 'Forbidden' } });
  }
}

/** A person's kubectl work: gets, logs, events; an on-call engineer sometimes execs into a pod. */
export function kubectl(c: Cloud, rows: Row[], ts: number, who: string, n: number, kind?: string): void {
  const { r } = c;
  const user = `${who}@northwind.example`, groups = ['eks-' + (who.startsWith('alice') || who.startsWith('bob') ? 'admins' : 'viewers'), 'system:authenticated'];
  let t = ts;
  for (let k = 0; k < n; k++) {
    const [verb, resource, sub] = r.pick([['list', 'pods', undefined], ['list', 'pods', undefined], ['get', 'pods', 'log'], ['list', 'events', undefined], ['get', 'deployments', undefined], ['list', 'nodes', undefined]] as const);
    rows.push(c.row(t, AUDIT, c.audit(t, { user, groups, verb, resource, sub, group: resource === 'deployments' ? 'apps' : undefined, namespace: resource === 'nodes' ? undefined : r.pick(['shop', 'billing']), name: verb === 'get' ? `${r.pick(['storefront', 'orders-api', 'billing-api'])}-${r.hex(5)}` : undefined, agent: KUBECTL, ip: '185.92.24.7' }), kind));
    t += Math.round(c.around(15_000, 0.8));
  }
}

function people(c: Cloud, rows: Row[]): void {
  const { r } = c;
  for (const [name] of HUMANS) {
    const p = P[name];
    // The morning sign-in, then sessions through the day.
    const first = c.t0 + 3 * 3_600_000 + r.int(600_000, 9_000_000);
    if (first < c.end) { signIn(c, rows, first, name, ['AWS IAM Identity Center', ...(r.chance(0.5) ? ['Grafana'] : [])], { fail: r.chance(0.06) }); humanSession(c, rows, first + 30_000, p, r.int(5, 30)); }
    for (const ts of c.arrivals(1 / 1200, c.office)) {
      if (ts < first) continue;
      if (r.chance(0.8)) signIn(c, rows, ts - 20_000, name, [r.pick(['AWS IAM Identity Center', 'Grafana', 'GitHub Enterprise', 'Slack'])]);
      humanSession(c, rows, ts, p, r.int(3, 25));
      if (r.chance(0.4)) kubectl(c, rows, ts + r.int(0, 60_000), name, r.int(2, 12));
    }
  }
}

/** The control plane's three streams over `hours` of event time, with labelled incidents. */
export function generateCloud(seed: number, hours = 8): GeneratedSet {
  const c = world(seed, hours);
  const rows: Row[] = [];
  automation(c, rows);
  pipelines(c, rows);
  cluster(c, rows);
  people(c, rows);
  injectCloudIncidents(c, rows);
  return labelledSet(rows.filter((x) => x.ts < c.end));
}

export const cloudGenerator: Generator = {
  describe: 'a cloud control plane over a working morning: CloudTrail management events (automation, deploys, Terraform plans, a snapshot rotation, SSO users), Kubernetes audit events and an identity provider\'s sign-in log; incidents: unusual_actor, unseen_region, access_denied_burst, privilege_escalation, new_error, mass_deletion, off_hours',
  generate: (seed) => generateCloud(seed),
};
