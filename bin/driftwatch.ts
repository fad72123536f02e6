#!/usr/bin/env node
// The driftwatch command line: `driftwatch <command> [options]`.
//
//   up       database + control API + engine + edge proxy in one process (what `npm start` runs)
//   engine   the engine alone          control   the control API alone
//   edge     the edge proxy alone (routes <tenant>.<domain> to the tenant's engine)
//   migrate  apply schema.sql         demo      stream a synthetic log to a running system
//   eval     score the detectors on labelled data, in-process (src/tools/eval/cli.ts)
//   billing  report usage to Stripe now, or reconcile counted with reported (src/tools/billing-cli.ts)
//   keys     signing keys of the access tokens: `keys rotate` (no downtime), `keys list`
//   tenants | api-keys | users   administration without Stripe (src/tools/admin-cli.ts): tenants list,
//            tenants set-plan, api-keys create --tenant, users reset-password; audited
//
// Options are the configuration table (src/core/config.ts): each has an environment variable and a
// flag; flags win. Config is validated once here; a bad value exits with status 2.
import { join } from 'node:path';
import { loadConfig, options, type Config } from '../src/core/config.js';
import { PUBLISH_MS, TokenService } from '../src/core/auth/jwt.js';
import { keyEncryptionOf } from '../src/core/auth/key-encryption.js';
import { openDatabase } from '../src/core/db.js';
import { runDemo } from '../src/tools/demo/run.js';
import { createLogger } from '../src/core/log.js';
import { startSystem, type System, type SystemParts } from '../src/system.js';

const COMMANDS: Record<string, string> = {
  up: 'start the whole system: database (embedded unless DATABASE_URL), control API, engine and edge proxy',
  engine: 'start the engine only (ingest, detection, storage)',
  control: 'start the control API only',
  edge: 'start the edge proxy only: <tenant>.<DRIFTWATCH_DOMAIN>:<EDGE_PORT> goes to the tenant\'s engine (routes in PostgreSQL/Redis)',
  migrate: 'apply schema.sql to the database and exit',
  demo: 'stream a synthetic log with injected anomalies to a running system; print what was found',
  eval: 'score the detectors on labelled data: eval nab|logs|events (see driftwatch eval --help)',
  billing: 'billing report (send unreported usage hours to Stripe now) | billing reconcile (counted vs reported; exit 1 on a mismatch)',
  keys: 'signing keys of the access tokens: keys rotate (a new ES256 key signs; the old ones verify until their tokens expire) | keys list',
  tenants: 'tenants list | tenants set-plan <tenant> <plan> (refused while STRIPE_SECRET_KEY is set: Stripe decides plans)',
  'api-keys': 'api-keys create --tenant <id or slug> [--scope ingest,read] [--name <name>]: a new API key, printed once',
  users: 'users reset-password <email> [--password-stdin]: a new password, printed once (or read from stdin); the user\'s sessions are revoked',
  help: 'show this help',
};

const DEMO_FLAGS: Record<string, string> = {
  '--api-key': 'API key to send with (env DRIFTWATCH_API_KEY); default: sign up a throw-away account',
  '--lines': 'log lines to send (default 10000)',
  '--anomalies': 'anomalous lines to inject (default 30)',
};

function usage(): string {
  const rows = Object.entries(options).map(([, o]) => `  ${`${o.flag} <value>`.padEnd(36)} ${o.env.padEnd(26)} ${o.doc}`);
  return [
    'Usage: driftwatch <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(10)} ${d}`),
    '',
    'Options (flag, environment variable, meaning):',
    ...rows,
    '',
    'demo options:',
    ...Object.entries(DEMO_FLAGS).map(([f, d]) => `  ${`${f} <value>`.padEnd(36)} ${d}`),
    '',
    'Examples:',
    '  driftwatch up                          # embedded PostgreSQL under ./.driftwatch',
    '  driftwatch edge --edge-port 8000 --domain example.com   # alice.example.com -> alice\'s engine',
    '  DATABASE_URL=postgres://... driftwatch up --engine-port 9000',
    '  driftwatch demo --lines 20000',
    '  driftwatch eval nab --data ../shared/datasets/nab',
    '  driftwatch billing report             # usage hours not yet reported, to Stripe now',
    '  driftwatch billing reconcile          # counted vs reported per tenant and hour',
    '  DATABASE_URL=postgres://... driftwatch keys rotate',
  ].join('\n');
}

/** Commands with a subcommand; those of ADMIN also take positional arguments after it. */
const WITH_SUB = new Set(['eval', 'billing', 'keys', 'tenants', 'api-keys', 'users']);
const ADMIN = new Set(['tenants', 'api-keys', 'users']);

function parseArgs(argv: string[]): { command: string; sub: string; args: string[]; flags: Record<string, string>; help: boolean } {
  let command = '';
  let sub = '';
  let help = false;
  const flags: Record<string, string> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { help = true; continue; }
    if (a === '--password-stdin') { flags[a] = 'true'; continue; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) { flags[a.slice(0, eq)] = a.slice(eq + 1); continue; }
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new TypeError(`option ${a} needs a value`);
      flags[a] = v;
      i++;
      continue;
    }
    if (WITH_SUB.has(command) && sub === '') { sub = a; continue; }
    if (ADMIN.has(command)) { args.push(a); continue; }
    if (command !== '') throw new TypeError(`unexpected argument ${JSON.stringify(a)}`);
    command = a;
  }
  return { command, sub, args, flags, help };
}

/** Moves the named flags out of `flags` (they are not configuration options). */
function takeFlags(flags: Record<string, string>, names: Record<string, string>): Record<string, string> {
  const taken: Record<string, string> = {};
  for (const f of Object.keys(names)) {
    if (f in flags) { taken[f] = flags[f]; delete flags[f]; }
  }
  return taken;
}

function positiveInt(name: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** A signal repeated within this long of the first is the copy npm forwards, not a second Ctrl-C. */
const REPEAT_SIGNAL_MS = 1_000;

async function serve(config: Readonly<Config>, parts: SystemParts): Promise<void> {
  const log = createLogger(config);
  const say = (s: string): void => { process.stdout.write(s + '\n'); };

  // Signal handlers go in first: a signal during start-up (initdb can take seconds) is
  // remembered and served once the system is up, so the database is never left running.
  let system: System | undefined;
  let requested: string | undefined;
  let stopping = false;
  let stoppingAt = 0;
  const stop = (signal: string): void => {
    if (stopping) {
      // Under `npm start` a terminal's Ctrl-C reaches npm and this process at once, and npm sends
      // it on again: a repeat within REPEAT_SIGNAL_MS is that copy, not a second Ctrl-C.
      if (Date.now() - stoppingAt < REPEAT_SIGNAL_MS) return;
      say(`second ${signal}: exiting without waiting`);
      process.exit(130);
    }
    if (system === undefined) {
      if (requested === undefined) say(`\n${signal}: stopping as soon as start-up finishes...`);
      requested = signal;
      return;
    }
    stopping = true;
    stoppingAt = Date.now();
    say(`\n${signal}: shutting down (flushing buffers to PostgreSQL; Ctrl-C again to exit without waiting)...`);
    system.close().then(
      () => { say('stopped cleanly'); log.flush(); process.exitCode = 0; setTimeout(() => process.exit(0), 50).unref(); },
      (err: unknown) => { log.error({ err }, 'shutdown failed'); process.stderr.write(`driftwatch: shutdown failed: ${(err as Error).message}\n`); process.exit(1); },
    );
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
  // Started by the control API's local VM driver (an IPC channel): when that process goes away,
  // the channel closes and this engine stops too, instead of living on unmanaged.
  if (process.send !== undefined) process.once('disconnect', () => { if (!stopping) stop('parent exit'); });

  if (config.databaseUrl === undefined) say(`starting embedded PostgreSQL in ${config.dataDir} (port ${config.embeddedPgPort})...`);
  system = await startSystem(config, log, parts, { ownSignals: true });
  if (requested !== undefined) return stop(requested);
  say('');
  say('driftwatch is running');
  if (system.controlUrl) say(`  control API  ${system.controlUrl}   (GET /health, GET /docs, POST /api/v1/auth/register)`);
  if (system.engineUrl) say(`  engine       ${system.engineUrl}   (POST /api/v1/events/ingest, WebSocket /api/v1/stream, POST /v1/logs)`);
  if (system.edge) {
    say(`  edge proxy   ${config.host === '0.0.0.0' ? '*' : config.host}:${system.edge.port}   (<tenant>.${config.driftwatchDomain}:${system.edge.port} goes to that tenant's engine)`);
    if (parts.engine && parts.control && config.demoTenant) say(`               ${system.edgeUrl}/api/v1/events/ingest reaches the demo tenant's engine`);
  }
  say(`  database     ${system.db.embedded ? `embedded PostgreSQL, data in ${config.dataDir}` : 'DATABASE_URL'}`);
  if (system.demoApiKey !== undefined) {
    say('');
    say('A demo tenant was created. Its API key (shown only this once; keep it):');
    say(`  ${system.demoApiKey}`);
  }
  say('');
  say(parts.engine && parts.control ? 'Try `npm run demo` in another terminal. Ctrl-C stops (every acknowledged event is kept).' : 'Ctrl-C stops.');
}

async function main(argv: string[]): Promise<void> {
  const { command, sub, args, flags, help } = parseArgs(argv);
  if (command === 'eval') {
    // Loaded only for eval, so that `up` does not load the evaluation code.
    const { EVAL_FLAGS, evalUsage, runEval } = await import('../src/tools/eval/cli.js');
    if (help) { process.stdout.write(evalUsage() + '\n'); return; }
    const evalFlags = takeFlags(flags, EVAL_FLAGS);
    const other = Object.keys(flags)[0];
    if (other !== undefined) throw new TypeError(`${other} is not an eval option (see driftwatch eval --help)`);
    return runEval(sub, evalFlags);
  }
  if (command === 'billing') {
    const { billingUsage, runBilling } = await import('../src/tools/billing-cli.js');
    if (help) { process.stdout.write(billingUsage() + '\n'); return; }
    const config = loadConfig({ env: process.env, flags });
    process.exitCode = await runBilling(sub, config, createLogger(config), (s) => process.stdout.write(s + '\n'));
    return;
  }
  if (ADMIN.has(command)) {
    const { ADMIN_FLAGS, adminUsage, runAdmin } = await import('../src/tools/admin-cli.js');
    if (help) { process.stdout.write(adminUsage(command) + '\n'); return; }
    const adminFlags = takeFlags(flags, ADMIN_FLAGS);
    const config = loadConfig({ env: process.env, flags });
    const readStdin = async (): Promise<string> => { let s = ''; for await (const c of process.stdin) s += String(c); return s; };
    process.exitCode = await runAdmin(command, sub, args, adminFlags, config, createLogger(config), (s) => process.stdout.write(s + '\n'), readStdin);
    return;
  }
  if (help || command === '' || command === 'help') {
    process.stdout.write(usage() + '\n');
    if (command === '' && !help) process.exitCode = 2;
    return;
  }
  if (!(command in COMMANDS)) throw new TypeError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')})`);
  const demoFlags = takeFlags(flags, DEMO_FLAGS);
  if (command !== 'demo' && Object.keys(demoFlags).length > 0) throw new TypeError(`${Object.keys(demoFlags)[0]} is a demo option`);
  const config = loadConfig({ env: process.env, flags });
  switch (command) {
    case 'up': return serve(config, { engine: true, control: true, edge: true });
    case 'engine': return serve(config, { engine: true, control: false });
    case 'control': return serve(config, { engine: false, control: true });
    case 'edge': return serve(config, { engine: false, control: false, edge: true });
    case 'migrate': {
      const db = await openDatabase(config, createLogger(config), 2);
      process.stdout.write(`schema applied (${db.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'})\n`);
      await db.close();
      return;
    }
    case 'keys': {
      if (sub !== 'rotate' && sub !== 'list') throw new TypeError('keys needs rotate or list (driftwatch keys rotate)');
      const db = await openDatabase(config, createLogger(config), 2);
      try {
        const tokens = await new TokenService(db.pool, {
          issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds,
          maxLifetimeSeconds: config.maxAccessTokenLifetimeSeconds, encryption: keyEncryptionOf(config),
        }).init();
        if (sub === 'rotate') {
          const kid = await tokens.rotate();
          process.stdout.write(`new signing key ${kid}: published now (in the JWKS, verifying), it signs in ${PUBLISH_MS / 1000} s, once every instance knows it; the current key signs until then and verifies (and stays in the JWKS) until the tokens it signed have expired (ACCESS_TOKEN_TTL_SECONDS + 60 s), then it is dropped\n`);
        }
        for (const k of await tokens.list()) {
          process.stdout.write(`${k.kid}  ${k.state.padEnd(8)} created ${k.created_at.toISOString()}${k.retired_at ? `  retired ${k.retired_at.toISOString()}` : ''}\n`);
        }
      } finally {
        await db.close();
      }
      return;
    }
    case 'demo': {
      const r = await runDemo({
        controlUrl: config.controlUrl ?? `http://127.0.0.1:${config.controlPort}`,
        engineUrl: config.engineUrl ?? `http://127.0.0.1:${config.enginePort}`,
        apiKey: demoFlags['--api-key'] ?? process.env.DRIFTWATCH_API_KEY,
        accountFile: join(config.dataDir, 'demo-account.json'),
        lines: positiveInt('--lines', demoFlags['--lines'], 10_000),
        anomalies: positiveInt('--anomalies', demoFlags['--anomalies'], 30),
      });
      if (r.found === 0) process.exitCode = 1;
      return;
    }
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`driftwatch: ${e.message}\n`);
  process.exitCode = e instanceof TypeError ? 2 : 1;
});
