// `driftwatch billing report | reconcile`: the usage reporter run once by hand, and the
// comparison of what was counted with what was reported.
//
//   report     ─▶ UsageReporter.runOnce({ wait: true }) ─▶ "sent N hours (E events) ..."   exit 1 if hours stay pending
//   reconcile  ─▶ reconcile() ─▶ the mismatching tenant-hours and a summary line           exit 1 on any mismatch
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { openDatabase } from '../core/db.js';
import type { Logger } from '../core/log.js';
import { formatReconcile, reconcile } from '../control/billing/reconcile.js';
import { UsageReporter } from '../control/billing/reporter.js';
import { createStripeClient } from '../control/billing/stripe.js';

export const BILLING_SUBCOMMANDS: Readonly<Record<string, string>> = Object.freeze({
  report: 'send every closed hour of usage not yet reported to Stripe as meter events, now (running it again sends nothing new)',
  reconcile: 'compare the events counted per tenant and hour with what was reported; exit status 1 on a mismatch',
});

export function billingUsage(): string {
  return [
    'Usage: driftwatch billing <report|reconcile> [options]',
    '',
    ...Object.entries(BILLING_SUBCOMMANDS).map(([c, d]) => `  ${c.padEnd(10)} ${d}`),
    '',
    'They use the same options as the servers (DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_API_BASE,',
    'STRIPE_METER_EVENT_NAME; see driftwatch --help). Only tenants with a Stripe customer are billed,',
    'from the hour their customer was created; an hour is sent once it has been over for 5 minutes.',
  ].join('\n');
}

const listening = (port: number): Promise<boolean> => new Promise((resolve) => {
  const sock = createConnection({ host: '127.0.0.1', port });
  sock.once('connect', () => { sock.destroy(); resolve(true); });
  sock.once('error', () => resolve(false));
});

/**
 * Without DATABASE_URL, the embedded PostgreSQL of a `driftwatch up` that is running on the same
 * data directory (its credentials file, its port): the command runs beside the servers.
 */
export async function runningEmbedded(config: Readonly<Config>): Promise<string | undefined> {
  const file = join(config.dataDir, 'credentials.json');
  if (config.databaseUrl !== undefined || !existsSync(file) || !(await listening(config.embeddedPgPort))) return undefined;
  const c = JSON.parse(await readFile(file, 'utf8')) as { user: string; password: string; database: string };
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${config.embeddedPgPort}/${c.database}`;
}

/** Runs a billing subcommand; returns the exit status. */
export async function runBilling(sub: string, config: Readonly<Config>, log: Logger, out: (s: string) => void): Promise<number> {
  if (!(sub in BILLING_SUBCOMMANDS)) throw new TypeError(`billing needs a subcommand: ${Object.keys(BILLING_SUBCOMMANDS).join(' | ')} (got ${JSON.stringify(sub)})`);
  if (sub === 'report' && config.stripeSecretKey === undefined) {
    throw new TypeError('billing is disabled: set STRIPE_SECRET_KEY (and STRIPE_API_BASE for a local Stripe server)');
  }
  const running = await runningEmbedded(config);
  const db = await openDatabase(running === undefined ? config : { ...config, databaseUrl: running }, log.child({ component: 'db' }), 4);
  try {
    if (sub === 'report') {
      const stripe = createStripeClient(config, { maxNetworkRetries: 0 })!;
      const reporter = new UsageReporter(db.pool, stripe, { eventName: config.stripeMeterEventName, log: log.child({ component: 'billing' }) });
      const r = await reporter.runOnce({ wait: true });
      out(`sent ${r.sent} hours (${r.sentEvents} events); ${r.pending} pending; ${r.rejected} rejected by Stripe; ${r.expired} expired (older than 35 days)`);
      return r.pending > 0 ? 1 : 0;
    }
    const r = await reconcile(db.pool);
    out(formatReconcile(r));
    return r.mismatches.length > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}
