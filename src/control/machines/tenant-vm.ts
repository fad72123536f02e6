// A tenant's own start and stop of its engine VM, as the control API offers them: the registry
// does the work; each attempt leaves an audit row (vm.start, vm.stop), a failed one too, with
// the provider's error, which is then thrown on unchanged.
//
//   startTenantVm ─▶ registry.start ─┬─ ok ─▶ audit vm.start {claimed, state} ─▶ the machine
//                                    └─ failed ─▶ audit vm.start {state now, error} ─▶ throw it
//   stopTenantVm  ─▶ registry.stop ─▶ none: DW_ERR_NOT_FOUND │ audit vm.stop ─▶ the machine (or throw)
import type { AuditLog } from '../../core/audit.js';
import { DwError } from '../../core/errors.js';
import type { MachineRegistry, MachineRow } from './registry.js';

/** The signed-in user acting, and the address the audit log keeps. */
export interface VmActor { tenantId: string; userId: string; ip: string | null }

const errorDetail = (failed: unknown): Record<string, unknown> =>
  (failed !== undefined ? { error: (failed as Error).message } : {});

/** Starts (or claims) the tenant's VM; with `wait`, until it answers. */
export async function startTenantVm(registry: MachineRegistry, audit: AuditLog, actor: VmActor, wait: boolean): Promise<MachineRow> {
  let machine: MachineRow | undefined;
  let claimed = false;
  let failed: unknown;
  try {
    ({ machine, claimed } = await registry.start(actor.tenantId, { wait }));
  } catch (err) {
    failed = err;
  }
  const after = machine ?? await registry.forTenant(actor.tenantId);
  await audit.record({
    tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'vm.start',
    target: after === null ? null : `machine:${after.id}`, ip: actor.ip,
    details: { claimed, state: after?.state ?? null, ...errorDetail(failed) },
  });
  if (machine === undefined) throw failed;
  return machine;
}

/** Stops the tenant's VM and keeps it stopped; DW_ERR_NOT_FOUND when it has none. */
export async function stopTenantVm(registry: MachineRegistry, audit: AuditLog, actor: VmActor): Promise<MachineRow> {
  let machine: MachineRow | null = null;
  let failed: unknown;
  try {
    machine = await registry.stop(actor.tenantId);
  } catch (err) {
    failed = err;
  }
  if (machine === null && failed === undefined) throw new DwError('DW_ERR_NOT_FOUND', 'this tenant has no engine VM');
  const m = machine ?? await registry.forTenant(actor.tenantId);
  await audit.record({
    tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'vm.stop',
    target: m === null ? null : `machine:${m.id}`, ip: actor.ip,
    details: { state: m?.state ?? null, ...errorDetail(failed) },
  });
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the provider threw, unchanged
  if (failed !== undefined) throw failed;
  return machine!;
}
