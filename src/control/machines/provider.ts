// Where a tenant's engine runs. The registry (registry.ts) keeps the desired and observed state
// of every tenant's machine in PostgreSQL; a provider does the work on one platform:
//
//   registry ─▶ MachineProvider ─┬─ local.ts  a child process `driftwatch engine` per tenant
//                                └─ fly.ts    a Fly.io Machine per tenant (fly-client.ts: the Machines API)
//
// Every driver creates by a deterministic name (machineName), so a create that is retried
// after a lost answer, or run by two control-API instances, adopts the machine that exists
// instead of making a second one.

/** Provider-side states (Fly.io's names; the local driver maps its process onto them). */
export type ProviderState = 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'destroyed' | 'failed';

export interface ProviderMachine {
  /** The provider's id for the machine (local: the name; fly: Fly's machine id). */
  readonly id: string;
  readonly name: string;
  readonly state: ProviderState;
  readonly region: string | null;
  /** host:port where the engine answers, once known. */
  readonly address: string | null;
}

export interface MachineSpec {
  readonly tenantId: string;
  /** The tenant's slug: the subdomain the edge routes to this machine. */
  readonly slug: string;
  /** Deterministic per tenant: machineName(tenantId). */
  readonly name: string;
}

export interface MachineProvider {
  readonly kind: 'local' | 'fly';
  /** Creates the tenant's machine, or adopts the one with the same name, and starts it (does not wait). */
  ensure(spec: MachineSpec): Promise<ProviderMachine>;
  start(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  /** The machine as the provider sees it now; null when it does not exist (or no longer). */
  get(id: string): Promise<ProviderMachine | null>;
  /** Resolves with the machine once it is in `state`; rejects after timeoutMs or if it cannot get there. */
  waitFor(id: string, state: 'started' | 'stopped' | 'destroyed', timeoutMs: number): Promise<ProviderMachine>;
  /** True when the engine at the machine's address answers GET /health with 200. */
  healthy(machine: ProviderMachine, timeoutMs: number): Promise<boolean>;
  /** Stops what this process owns (local children); the fly driver has nothing to stop. */
  close(): Promise<void>;
}

/** The deterministic machine name of a tenant (Fly machine names: lower-case letters, digits, dashes). */
export const machineName = (tenantId: string): string => `dw-engine-${tenantId.toLowerCase()}`;

/** Thrown by drivers; the registry records `message` and answers DW_ERR_VM_PROVIDER. */
export class ProviderError extends Error {
  readonly code = 'DW_ERR_VM_PROVIDER' as const;
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ProviderError';
    this.status = status;
  }
}

/** GET http://address/health within timeoutMs. */
export async function probeHealth(address: string | null, timeoutMs: number): Promise<boolean> {
  if (address === null) return false;
  try {
    const r = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer().catch(() => undefined);
    return r.status === 200;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
