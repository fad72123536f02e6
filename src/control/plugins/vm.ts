// Per-tenant engine VMs and the machine registry, for the signed-in tenant only:
//
//   POST   /vm/start      (owner/admin)  ─▶ registry.start ─▶ 200 running | 202 still starting | 502 DW_ERR_VM_PROVIDER
//   GET    /vm/status    (signed-in)    ─▶ the tenant's machine or null
//   DELETE /vm/stop      (owner/admin)  ─▶ registry.stop (keeps it stopped) | 404 when there is none
//   GET    /machines     (signed-in)    ─▶ the tenant's machines
//   GET    /machines/:id (signed-in)    ─▶ one of them; another tenant's id is 404
//
// Access tokens only (API keys are for agents: 403). Starts and stops are audited (vm.start,
// vm.stop: src/control/machines/tenant-vm.ts); the health loop audits crashes and recoveries
// itself (actor system).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DwError } from '../../core/errors.js';
import type { MachineRegistry, MachineRow } from '../machines/registry.js';
import { startTenantVm, stopTenantVm, type VmActor } from '../machines/tenant-vm.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { iso, uuidParams } from './schemas.js';

export const VM_ADMIN_ROLES = Object.freeze(['owner', 'admin'] as const);

const isoOrNull = { type: ['string', 'null'] } as const;
const strOrNull = { type: ['string', 'null'] } as const;

export const machineSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenant_id: { type: 'string' },
    provider: { type: 'string', enum: ['local', 'fly'] },
    provider_machine_id: strOrNull,
    name: { type: 'string' },
    state: { type: 'string', enum: ['starting', 'running', 'stopped', 'crashed'] },
    desired_state: { type: 'string', enum: ['running', 'stopped'] },
    address: { ...strOrNull, description: 'host:port of the engine' },
    region: strOrNull,
    failures: { type: 'integer', description: 'consecutive failed starts or crashes (drives the recovery backoff)' },
    next_attempt_at: { ...isoOrNull, description: 'when the health loop tries again (crashed machines)' },
    last_error: strOrNull,
    started_at: isoOrNull,
    last_healthy_at: isoOrNull,
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
  required: ['id', 'tenant_id', 'provider', 'provider_machine_id', 'name', 'state', 'desired_state', 'address', 'region',
    'failures', 'next_attempt_at', 'last_error', 'started_at', 'last_healthy_at', 'created_at', 'updated_at'],
} as const;

export function machineJson(m: MachineRow): Record<string, unknown> {
  return {
    id: m.id, tenant_id: m.tenant_id, provider: m.provider, provider_machine_id: m.provider_machine_id, name: m.name,
    state: m.state, desired_state: m.desired_state, address: m.address, region: m.region, failures: m.failures,
    next_attempt_at: iso(m.next_attempt_at), last_error: m.last_error, started_at: iso(m.started_at),
    last_healthy_at: iso(m.last_healthy_at), created_at: m.created_at.toISOString(), updated_at: m.updated_at.toISOString(),
  };
}

const oneMachine = { type: 'object', properties: { machine: machineSchema }, required: ['machine'] } as const;

export interface VmPluginOptions {
  registry: MachineRegistry;
}

const startSchema = {
  summary: "Start the tenant's engine VM (owner/admin); waits until it answers unless wait is false",
  tags: ['vm'],
  body: {
    type: 'object',
    properties: { wait: { type: 'boolean', default: true, description: 'false: answer 202 at once while it starts' } },
    additionalProperties: false,
  },
  response: { 200: { ...oneMachine, description: 'The machine is running' }, 202: { ...oneMachine, description: 'Accepted: the machine is still starting' } },
} as const;

const statusSchema = {
  summary: "The tenant's engine VM, or null when it never had one",
  tags: ['vm'],
  response: { 200: { type: 'object', properties: { machine: { anyOf: [machineSchema, { type: 'null' }] } }, required: ['machine'] } },
} as const;

const listSchema = {
  summary: "The tenant's machines (the machine registry, this tenant's rows)",
  tags: ['vm'],
  response: { 200: { type: 'object', properties: { machines: { type: 'array', items: machineSchema } }, required: ['machines'] } },
} as const;

function actorOf(req: FastifyRequest): VmActor {
  const p = principalOf(req);
  return { tenantId: p.tenantId, userId: p.subject, ip: clientIp(req) };
}

/** POST /vm/start, GET /vm/status, DELETE /vm/stop. */
function vmRoutes(app: FastifyInstance, registry: MachineRegistry): void {
  const admin = authenticate({ roles: VM_ADMIN_ROLES });

  app.post<{ Body: { wait?: boolean } | undefined }>('/vm/start', {
    onRequest: admin,
    // A POST without a body is a start with the defaults.
    preValidation: async function emptyBody(req) { if (req.body === undefined) req.body = {}; },
    schema: startSchema,
  }, async function vmStart(req, reply) {
    const machine = await startTenantVm(registry, app.audit, actorOf(req), req.body?.wait !== false);
    reply.code(machine.state === 'running' ? 200 : 202);
    return { machine: machineJson(machine) };
  });

  app.get('/vm/status', { onRequest: authenticate({ kind: 'user' }), schema: statusSchema }, async function vmStatus(req) {
    const m = await registry.forTenant(principalOf(req).tenantId);
    return { machine: m === null ? null : machineJson(m) };
  });

  app.delete('/vm/stop', {
    onRequest: admin,
    schema: { summary: "Stop the tenant's engine VM and keep it stopped (owner/admin)", tags: ['vm'], response: { 200: oneMachine } },
  }, async function vmStop(req) {
    return { machine: machineJson(await stopTenantVm(registry, app.audit, actorOf(req))) };
  });
}

/** GET /machines, GET /machines/:id. */
function machineRoutes(app: FastifyInstance, registry: MachineRegistry): void {
  const user = authenticate({ kind: 'user' });

  app.get('/machines', { onRequest: user, schema: listSchema }, async function listMachines(req) {
    return { machines: (await registry.list(principalOf(req).tenantId)).map(machineJson) };
  });

  app.get<{ Params: { id: string } }>('/machines/:id', {
    onRequest: user,
    schema: { summary: 'One of the tenant\'s machines', tags: ['vm'], params: uuidParams, response: { 200: machineSchema } },
  }, async function getMachine(req) {
    const m = await registry.get(principalOf(req).tenantId, req.params.id);
    if (m === null) throw new DwError('DW_ERR_NOT_FOUND', 'machine');
    return machineJson(m);
  });
}

export const vmPlugin = definePlugin(async function vm(app: FastifyInstance, opts: VmPluginOptions): Promise<void> {
  vmRoutes(app, opts.registry);
  machineRoutes(app, opts.registry);
}, {
  name: 'driftwatch-vm',
  dependencies: ['driftwatch-context', 'driftwatch-audit'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit'], request: ['principal'] },
});
