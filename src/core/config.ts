// Configuration: one defaults object, one table of options (environment variable, flag,
// type, bounds), validated once at start and deep-frozen. Nothing reads process.env after
// loadConfig() returns; components receive the frozen object (or a slice of it).
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { FALSE_WORDS, parseTrustProxy, TRUE_WORDS } from './trust-proxy.js';

export { parseTrustProxy };

export interface Config {
  /** PostgreSQL connection string; unset = start embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly host: string;
  readonly enginePort: number;
  readonly controlPort: number;
  readonly workerThreads: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlSeconds: number;
  readonly maxAccessTokenLifetimeSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly maxBodyBytes: number;
  readonly maxBatchEvents: number;
  readonly maxEventBytes: number;
  /** A request body arriving slower than this (after a 2 s grace) is dropped with 408; 0: no minimum. */
  readonly minBodyBytesPerSecond: number;
  /** WebSocket connections one tenant may hold to one engine process. */
  readonly wsMaxConnectionsPerTenant: number;
  readonly flushIntervalMs: number;
  readonly flushMaxRows: number;
  /** Where the engine spools acknowledged batches while PostgreSQL is slow or down (default <dataDir>/spool). */
  readonly spoolDir: string;
  /** Bytes the spool may hold on disk; 0 turns the spool off (PostgreSQL down ─► 503 at once). */
  readonly spoolMaxBytes: number;
  /** Group-fsync window of the spool: appends within it share one fdatasync. */
  readonly spoolSyncMs: number;
  readonly maxStreams: number;
  readonly tenantEventsPerSecond: number;
  readonly streamIdleTtlMs: number;
  readonly streamIdleTickMs: number; readonly streamIdleTicksMax: number;
  readonly apiKeyCacheMs: number;
  /** GET /api/v1/events: decompressed block bytes one request may decode. */
  readonly eventsReadMaxDecodedBytes: number;
  /** GET /api/v1/events: JSON bytes of the events one page may carry. */
  readonly eventsReadMaxResponseBytes: number;
  readonly loginRateLimitPerIp: number;
  readonly loginRateLimitPerEmail: number;
  readonly loginFailuresPerEmail: number;
  readonly registerRateLimitPerIp: number;
  readonly registerRateLimitPerEmail: number;
  readonly quotaRefreshMs: number;
  /** Fastify trustProxy: 'false', 'true', a hop count, or a comma-separated list of addresses/CIDRs. */
  readonly trustProxy: string;
  /** Loki push: labels left out of the stream key (comma list, or `none`); they stay in metadata. */
  readonly lokiIgnoredLabels: string;
  readonly externalJwtSecret: string | undefined;
  /** Seals the signing keys' private halves at rest (src/core/auth/key-encryption.ts): 32 bytes, hex or base64. */
  readonly signingKeyEncryptionKey: string | undefined;
  /** A file holding the same; with neither, <dataDir>/signing-key-encryption.key is created (refused with DATABASE_URL in production). */
  readonly signingKeyEncryptionKeyFile: string | undefined;
  readonly nodeEnv: string | undefined;
  readonly externalJwtIssuer: string | undefined;
  readonly externalJwtAudience: string;
  readonly demoTenant: boolean;
  /** POST /api/v1/auth/register is open (false: 403 DW_ERR_SIGNUP_CLOSED; accounts come from the operator). */
  readonly allowSignup: boolean;
  readonly controlUrl: string | undefined;
  readonly engineUrl: string | undefined;
  /** Set on a per-tenant engine: it refuses every other tenant's credentials. */
  readonly tenantId: string | undefined;
  readonly vmProvider: 'local' | 'fly';
  readonly vmHealthIntervalMs: number;
  readonly vmStartTimeoutMs: number;
  readonly vmRecoveryBackoffMs: number;
  readonly vmRecoveryBackoffMaxMs: number;
  readonly vmStopGraceMs: number;
  readonly flyApiBase: string;
  readonly flyApiToken: string | undefined;
  readonly flyAppName: string | undefined;
  readonly flyRegions: string;
  readonly flyImage: string | undefined;
  /** Stripe secret key; unset = billing disabled (the billing routes answer DW_ERR_BILLING_DISABLED). */
  readonly stripeSecretKey: string | undefined;
  readonly stripePublishableKey: string | undefined;
  readonly stripeWebhookSecret: string | undefined;
  readonly stripeSuccessUrl: string | undefined;
  readonly stripeCancelUrl: string | undefined;
  readonly stripeCurrency: string;
  /** Stripe price ids of the plans. */
  readonly stripeFreePlanId: string | undefined;
  readonly stripeProPlanId: string | undefined;
  readonly stripeBusinessPlanId: string | undefined;
  readonly stripeUsageEnabled: boolean;
  readonly stripeMeterEventName: string;
  /** Another Stripe API server (stripe-mock, the tests' fake): its protocol, host and port. */
  readonly stripeApiBase: string | undefined;
  readonly stripeUsageReportIntervalSeconds: number;
  readonly routingServiceToken: string | undefined;
  /** Bearer token GET /metrics requires on the engine, the control API and the edge; unset: open. */
  readonly metricsToken: string | undefined;
  readonly routeTtlSeconds: number;
  readonly routeNegativeTtlSeconds: number;
  readonly edgePort: number;
  readonly driftwatchDomain: string;
  readonly liveMaxConnectionsPerTenant: number;
  readonly smtpUrl: string | undefined;
  readonly alertEmailFrom: string;
  readonly alertIncidentWindowSeconds: number;
  readonly alertRetryBaseMs: number;
  readonly alertMaxAttempts: number;
  readonly alertPollMs: number;
  readonly alertSystemCheckMs: number;
  readonly alertAllowPrivateTargets: boolean;
  readonly dashboardUrl: string | undefined;
  /** NATS servers (comma list of nats:// URLs); set: the engine's roles meet through JetStream (engine/cluster/). */
  readonly natsUrl: string | undefined;
  /** The engine's roles with NATS_URL: a comma list of ingest, detect, store. */
  readonly roles: string;
  /** Replicas of the JetStream streams and the lease bucket (3 in a three-node cluster). */
  readonly natsReplicas: number;
}

type Kind = 'string' | 'int' | 'bool' | 'url' | 'enum' | 'uuid';
interface OptionSpec {
  env: string;
  flag: string;
  kind: Kind;
  doc: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Strings: the shortest value accepted (secrets). */
  minLength?: number;
  /** Strings: a pattern the value must match (hostnames). */
  pattern?: RegExp;
}
const cpus = availableParallelism();

export const defaults: Readonly<Config> = Object.freeze({
  databaseUrl: undefined,
  dataDir: './.driftwatch',
  embeddedPgPort: 54329,
  redisUrl: undefined,
  redisKeyPrefix: 'dw:',
  host: '127.0.0.1',
  enginePort: 8090,
  controlPort: 8080,
  workerThreads: Math.max(1, cpus - 1),
  logLevel: 'info',
  jwtIssuer: 'driftwatch',
  jwtAudience: 'driftwatch',
  accessTokenTtlSeconds: 900,
  maxAccessTokenLifetimeSeconds: 86_400,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatchEvents: 10_000,
  maxEventBytes: 64 * 1024,
  minBodyBytesPerSecond: 32 * 1024,
  wsMaxConnectionsPerTenant: 64,
  flushIntervalMs: 10,
  flushMaxRows: 10_000,
  spoolDir: './.driftwatch/spool',
  spoolMaxBytes: 1024 ** 3,
  spoolSyncMs: 2,
  maxStreams: 100_000,
  // Well above what one engine stores end to end (34k-67k events/s measured on 2 cores by
  // bench/ingest): a single tenant, or the benchmark, is never held back by default, yet a
  // runaway client is capped per process.
  tenantEventsPerSecond: 200_000,
  streamIdleTtlMs: 3_600_000,
  streamIdleTickMs: 10_000, streamIdleTicksMax: 1_000,
  apiKeyCacheMs: 5_000,
  eventsReadMaxDecodedBytes: 32 * 1024 * 1024,
  eventsReadMaxResponseBytes: 8 * 1024 * 1024,
  loginRateLimitPerIp: 10,
  loginRateLimitPerEmail: 5,
  loginFailuresPerEmail: 20,
  registerRateLimitPerIp: 5,
  registerRateLimitPerEmail: 3,
  quotaRefreshMs: 2_000,
  trustProxy: 'false',
  // Labels that name one instance of a source (a pod, a file, host:port) or split its lines by
  // value (the level): as part of a stream key they would scatter one source over many streams.
  lokiIgnoredLabels: 'pod,pod_name,pod_uid,pod_template_hash,controller_revision_hash,container_id,instance,filename,level,detected_level,severity',
  externalJwtSecret: undefined,
  signingKeyEncryptionKey: undefined,
  signingKeyEncryptionKeyFile: undefined, nodeEnv: undefined,
  externalJwtIssuer: undefined,
  externalJwtAudience: 'authenticated',
  demoTenant: true,
  allowSignup: true,
  controlUrl: undefined,
  engineUrl: undefined,
  tenantId: undefined,
  vmProvider: 'local',
  vmHealthIntervalMs: 30_000,
  vmStartTimeoutMs: 120_000,
  vmRecoveryBackoffMs: 5_000,
  vmRecoveryBackoffMaxMs: 300_000,
  vmStopGraceMs: 10_000,
  flyApiBase: 'https://api.machines.dev',
  flyApiToken: undefined,
  flyAppName: undefined,
  flyRegions: 'iad',
  flyImage: undefined,
  stripeSecretKey: undefined,
  stripePublishableKey: undefined,
  stripeWebhookSecret: undefined,
  stripeSuccessUrl: undefined,
  stripeCancelUrl: undefined,
  stripeCurrency: 'usd',
  stripeFreePlanId: undefined,
  stripeProPlanId: undefined,
  stripeBusinessPlanId: undefined,
  stripeUsageEnabled: false,
  stripeMeterEventName: 'driftwatch_events',
  stripeApiBase: undefined,
  stripeUsageReportIntervalSeconds: 600,
  routingServiceToken: undefined,
  metricsToken: undefined,
  // Edge workers hold a route this long without asking again (no invalidation reaches them);
  // control API instances hold it as long, but drop it at once on a Redis message.
  routeTtlSeconds: 30,
  routeNegativeTtlSeconds: 5,
  edgePort: 8000,
  driftwatchDomain: 'localhost',
  liveMaxConnectionsPerTenant: 20,
  smtpUrl: undefined,
  alertEmailFrom: 'driftwatch <alerts@localhost>',
  alertIncidentWindowSeconds: 600,
  alertRetryBaseMs: 5_000,
  alertMaxAttempts: 8,
  alertPollMs: 2_000,
  alertSystemCheckMs: 60_000,
  alertAllowPrivateTargets: false,
  dashboardUrl: undefined,
  natsUrl: undefined,
  roles: 'ingest,detect,store',
  natsReplicas: 1,
});

/** Every option: its environment variable, its CLI flag, its type and its doc line. */
export const options: Readonly<Record<keyof Config, OptionSpec>> = Object.freeze({
  databaseUrl: { env: 'DATABASE_URL', flag: '--database-url', kind: 'url', doc: 'PostgreSQL URL; unset starts embedded PostgreSQL under the data directory' },
  dataDir: { env: 'DRIFTWATCH_DATA_DIR', flag: '--data-dir', kind: 'string', doc: 'where embedded PostgreSQL keeps its files, and the engine its spool (spool/, unless SPOOL_DIR); the Docker image uses /data' },
  embeddedPgPort: { env: 'EMBEDDED_PG_PORT', flag: '--embedded-pg-port', kind: 'int', min: 1, max: 65535, doc: 'port of the embedded PostgreSQL (127.0.0.1 only)' },
  redisUrl: { env: 'REDIS_URL', flag: '--redis-url', kind: 'url', doc: 'Redis URL; control API instances share their rate-limit counters and route cache there and hear of route changes by pub/sub, and the engines count usage there (unset: rate-limit counters and routes in process memory, usage in the usage_counters table)' },
  redisKeyPrefix: { env: 'REDIS_KEY_PREFIX', flag: '--redis-key-prefix', kind: 'string', doc: 'prefix of every driftwatch key in Redis (rate-limit counters add rl:, usage counters usage:, route copies route:, the route channel is <prefix>routes)' },
  host: { env: 'HOST', flag: '--host', kind: 'string', doc: 'address both servers listen on (0.0.0.0 in containers)' },
  enginePort: { env: 'ENGINE_PORT', flag: '--engine-port', kind: 'int', min: 0, max: 65535, doc: 'engine (ingest) port; 0 picks a free one' },
  controlPort: { env: 'CONTROL_PORT', flag: '--control-port', kind: 'int', min: 0, max: 65535, doc: 'control API port; 0 picks a free one' },
  workerThreads: { env: 'WORKER_THREADS', flag: '--worker-threads', kind: 'int', min: 1, max: 256, doc: 'detector worker threads (default: cores - 1, at least 1)' },
  logLevel: { env: 'LOG_LEVEL', flag: '--log-level', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'log level (JSON logs on stderr)' },
  jwtIssuer: { env: 'JWT_ISSUER', flag: '--jwt-issuer', kind: 'string', doc: 'iss claim of access tokens' },
  jwtAudience: { env: 'JWT_AUDIENCE', flag: '--jwt-audience', kind: 'string', doc: 'aud claim of access tokens' },
  accessTokenTtlSeconds: { env: 'ACCESS_TOKEN_TTL_SECONDS', flag: '--access-token-ttl-seconds', kind: 'int', min: 30, max: 86_400, doc: 'lifetime of an access token' },
  maxAccessTokenLifetimeSeconds: { env: 'MAX_ACCESS_TOKEN_LIFETIME_SECONDS', flag: '--max-access-token-lifetime-seconds', kind: 'int', min: 60, max: 30 * 86_400, doc: 'longest lifetime an access token may claim, ours or the external issuer\'s: a token whose exp - iat is longer, or whose exp lies further ahead than this (+ 60 s of clock skew; a token without iat), gets 401 DW_ERR_TOKEN_LIFETIME; must be at least ACCESS_TOKEN_TTL_SECONDS' },
  refreshTokenTtlSeconds: { env: 'REFRESH_TOKEN_TTL_SECONDS', flag: '--refresh-token-ttl-seconds', kind: 'int', min: 60, max: 365 * 86_400, doc: 'lifetime of a refresh token' },
  maxBodyBytes: { env: 'MAX_BODY_BYTES', flag: '--max-body-bytes', kind: 'int', min: 1024, max: 1024 ** 3, doc: 'largest HTTP body or WebSocket frame the engine accepts (a plan or tenant may set a lower one)' },
  maxBatchEvents: { env: 'MAX_BATCH_EVENTS', flag: '--max-batch-events', kind: 'int', min: 1, max: 1_000_000, doc: 'most events in one request or frame (a plan or tenant may set a lower one)' },
  maxEventBytes: { env: 'MAX_EVENT_BYTES', flag: '--max-event-bytes', kind: 'int', min: 64, max: 16 * 1024 ** 2, doc: 'largest single event (its JSON form)' },
  minBodyBytesPerSecond: { env: 'MIN_BODY_BYTES_PER_SECOND', flag: '--min-body-bytes-per-second', kind: 'int', min: 0, max: 1024 ** 3, doc: 'an engine request body arriving slower than this on average (after a 2 s grace) is dropped: 408 DW_ERR_BODY_TOO_SLOW, connection closed, its memory given back; 0: no minimum' },
  wsMaxConnectionsPerTenant: { env: 'WS_MAX_CONNECTIONS_PER_TENANT', flag: '--ws-max-connections-per-tenant', kind: 'int', min: 1, max: 1_000_000, doc: 'WebSocket connections one tenant may hold to one engine process; past it the upgrade gets 429 DW_ERR_TOO_MANY_CONNECTIONS' },
  flushIntervalMs: { env: 'FLUSH_INTERVAL_MS', flag: '--flush-interval-ms', kind: 'int', min: 0, max: 10_000, doc: 'group-commit window of the PostgreSQL sinks' },
  flushMaxRows: { env: 'FLUSH_MAX_ROWS', flag: '--flush-max-rows', kind: 'int', min: 1, max: 1_000_000, doc: 'rows that trigger a flush before the window ends' },
  spoolDir: { env: 'SPOOL_DIR', flag: '--spool-dir', kind: 'string', doc: 'where the engine spools acknowledged batches while PostgreSQL is slow or down (default: spool/ under the data directory); one engine process per directory' },
  spoolMaxBytes: { env: 'SPOOL_MAX_BYTES', flag: '--spool-max-bytes', kind: 'int', min: 0, max: 2 ** 50, doc: 'bytes the spool may hold on disk; when full, 503 / nack DW_ERR_SPOOL_FULL with Retry-After; 0 turns the spool off' },
  spoolSyncMs: { env: 'SPOOL_SYNC_MS', flag: '--spool-sync-ms', kind: 'int', min: 0, max: 1_000, doc: 'group-fsync window of the spool: batches appended within it share one fdatasync before they are acknowledged' },
  maxStreams: { env: 'MAX_STREAMS', flag: '--max-streams', kind: 'int', min: 1, max: 100_000_000, doc: 'streams whose detector state the engine keeps; beyond it the least recently used idle ones are evicted and warm up again' },
  tenantEventsPerSecond: { env: 'TENANT_EVENTS_PER_SECOND', flag: '--tenant-events-per-second', kind: 'int', min: 0, max: 1_000_000_000, doc: 'events per second one tenant may send to one engine process (token bucket, one second of burst); over it 429 / nack DW_ERR_RATE_LIMITED with Retry-After; 0: unlimited; a plan or tenant may set its own' },
  streamIdleTtlMs: { env: 'STREAM_IDLE_TTL_MS', flag: '--stream-idle-ttl-ms', kind: 'int', min: 0, max: 30 * 86_400_000, doc: 'an idle stream\'s detector state is evicted after this long unused (0: only by MAX_STREAMS)' },
  streamIdleTickMs: { env: 'STREAM_IDLE_TICK_MS', flag: '--stream-idle-tick-ms', kind: 'int', min: 0, max: 86_400_000, doc: 'a logs or traces stream with no event for this long (wall clock) gets an idle tick at its event time advanced by the time since, so the silence of a stream that stopped is found without a new event; also the sweep period; no ticks once quiet for STREAM_IDLE_TTL_MS (0: 1 h) (0: no ticks; with NATS_URL the detect role publishes them on the partition\'s subject)' },
  streamIdleTicksMax: { env: 'STREAM_IDLE_TICKS_MAX', flag: '--stream-idle-ticks-max', kind: 'int', min: 1, max: 1_000_000, doc: 'idle ticks sent per sweep at most (the others wait for the next sweep)' },
  apiKeyCacheMs: { env: 'API_KEY_CACHE_MS', flag: '--api-key-cache-ms', kind: 'int', min: 0, max: 60_000, doc: 'how long the engine trusts a looked-up API key (revocation delay)' },
  eventsReadMaxDecodedBytes: { env: 'EVENTS_READ_MAX_DECODED_BYTES', flag: '--events-read-max-decoded-bytes', kind: 'int', min: 65_536, max: 1024 ** 3, doc: 'GET /api/v1/events: decompressed block bytes one request may decode (decompressed off the event loop); a page that would need more ends early with next_cursor' },
  eventsReadMaxResponseBytes: { env: 'EVENTS_READ_MAX_RESPONSE_BYTES', flag: '--events-read-max-response-bytes', kind: 'int', min: 65_536, max: 1024 ** 3, doc: 'GET /api/v1/events: JSON bytes of events one page may carry (at least one event always goes); a page that would pass it ends early with next_cursor' },
  loginRateLimitPerIp: { env: 'LOGIN_RATE_LIMIT_PER_IP', flag: '--login-rate-limit-per-ip', kind: 'int', min: 1, max: 1_000_000, doc: 'login attempts per minute from one client address' },
  loginRateLimitPerEmail: { env: 'LOGIN_RATE_LIMIT_PER_EMAIL', flag: '--login-rate-limit-per-email', kind: 'int', min: 1, max: 1_000_000, doc: 'failed logins per 15 minutes for one email address from one client address; then 429 for that pair (a correct password never counts)' },
  loginFailuresPerEmail: { env: 'LOGIN_FAILURES_PER_EMAIL', flag: '--login-failures-per-email', kind: 'int', min: 1, max: 1_000_000, doc: 'failed logins per 15 minutes for one email address from all addresses; past it, addresses that failed for it wait a back-off doubling per failure (at most 15 min); an address with no recent failure still signs in' },
  registerRateLimitPerIp: { env: 'REGISTER_RATE_LIMIT_PER_IP', flag: '--register-rate-limit-per-ip', kind: 'int', min: 1, max: 1_000_000, doc: 'sign-ups per hour from one client address' },
  registerRateLimitPerEmail: { env: 'REGISTER_RATE_LIMIT_PER_EMAIL', flag: '--register-rate-limit-per-email', kind: 'int', min: 1, max: 1_000_000, doc: 'sign-up attempts per hour for one email address' },
  quotaRefreshMs: { env: 'QUOTA_REFRESH_MS', flag: '--quota-refresh-ms', kind: 'int', min: 0, max: 600_000, doc: 'how often the engine re-reads a sending tenant\'s plan and month usage for its quota (plan changes apply within this; a tenant at its limit is re-read every 0.5 s)' },
  trustProxy: { env: 'TRUST_PROXY', flag: '--trust-proxy', kind: 'string', doc: 'which proxies may set X-Forwarded-For for the control API (client address of rate limits and audit) and the engine (the share of the body budget a request without accepted credentials is charged to): false, true (any), a hop count, or comma-separated addresses/CIDRs (e.g. 127.0.0.1,10.0.0.0/8)' },
  lokiIgnoredLabels: { env: 'LOKI_IGNORED_LABELS', flag: '--loki-ignored-labels', kind: 'string', pattern: /^\s*(?:none|[A-Za-z_][A-Za-z0-9_.]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_.]*)*)\s*$/, doc: 'POST /loki/api/v1/push: labels left out of the stream key (kept in metadata), a comma list or none; the stream key is the other labels, sorted, as {app="api",env="prod"}' },
  signingKeyEncryptionKey: { env: 'SIGNING_KEY_ENCRYPTION_KEY', flag: '--signing-key-encryption-key', kind: 'string', doc: 'encrypts the access-token signing keys at rest (AES-256-GCM; 32 bytes as 64 hex digits or base64, e.g. openssl rand -hex 32); rows stored in clear are encrypted at start; a wrong key stops the start with an error naming both key ids. Unset: a key file <data dir>/signing-key-encryption.key (mode 0600) is created and used, except with DATABASE_URL and NODE_ENV=production, where the start is refused (DW_ERR_SIGNING_KEY_REQUIRED): every process sharing a database needs the same key' },
  signingKeyEncryptionKeyFile: { env: 'SIGNING_KEY_ENCRYPTION_KEY_FILE', flag: '--signing-key-encryption-key-file', kind: 'string', doc: 'a file holding SIGNING_KEY_ENCRYPTION_KEY (e.g. a mounted secret); used when that is unset' },
  nodeEnv: { env: 'NODE_ENV', flag: '--node-env', kind: 'string', doc: 'production: a missing secret refuses the start instead of getting a local default (with DATABASE_URL, the signing-key encryption key: DW_ERR_SIGNING_KEY_REQUIRED)' },
  externalJwtSecret: { env: 'EXTERNAL_JWT_SECRET', flag: '--external-jwt-secret', kind: 'string', doc: 'also accept HS256 tokens signed with this secret (a Supabase project\'s JWT secret, at least 32 characters); the token\'s email must belong to a driftwatch user. Unset: only our ES256 tokens' },
  externalJwtIssuer: { env: 'EXTERNAL_JWT_ISSUER', flag: '--external-jwt-issuer', kind: 'string', doc: 'iss an external token must carry (e.g. https://<project>.supabase.co/auth/v1); unset: not checked' },
  externalJwtAudience: { env: 'EXTERNAL_JWT_AUDIENCE', flag: '--external-jwt-audience', kind: 'string', doc: 'aud an external token must carry (Supabase: authenticated)' },
  allowSignup: { env: 'ALLOW_SIGNUP', flag: '--allow-signup', kind: 'bool', doc: 'anyone may create an account (POST /api/v1/auth/register); false: sign-up answers 403 DW_ERR_SIGNUP_CLOSED and the dashboard\'s sign-up form shows it' },
  demoTenant: { env: 'DEMO_TENANT', flag: '--demo-tenant', kind: 'bool', doc: '`up` creates a demo tenant and prints its API key on the first run' },
  controlUrl: { env: 'DRIFTWATCH_CONTROL_URL', flag: '--control-url', kind: 'url', doc: 'control API the `demo` command talks to (default http://127.0.0.1:<control port>)' },
  engineUrl: { env: 'DRIFTWATCH_ENGINE_URL', flag: '--engine-url', kind: 'url', doc: 'engine the `demo` command sends to (default http://127.0.0.1:<engine port>)' },
  tenantId: { env: 'DRIFTWATCH_TENANT_ID', flag: '--tenant-id', kind: 'uuid', doc: 'a per-tenant engine: accept only this tenant\'s API keys and tokens (403 DW_ERR_FORBIDDEN for others); set by the VM providers' },
  vmProvider: { env: 'VM_PROVIDER', flag: '--vm-provider', kind: 'enum', values: ['local', 'fly'], doc: 'where per-tenant engines run: local (child processes of the control API) or fly (Fly.io Machines)' },
  vmHealthIntervalMs: { env: 'VM_HEALTH_INTERVAL_MS', flag: '--vm-health-interval-ms', kind: 'int', min: 50, max: 3_600_000, doc: 'how often the control API checks every tenant engine (GET /health) and recovers crashed ones' },
  vmStartTimeoutMs: { env: 'VM_START_TIMEOUT_MS', flag: '--vm-start-timeout-ms', kind: 'int', min: 1_000, max: 3_600_000, doc: 'a tenant engine not healthy this long after its start is wedged: marked crashed and recovered' },
  vmRecoveryBackoffMs: { env: 'VM_RECOVERY_BACKOFF_MS', flag: '--vm-recovery-backoff-ms', kind: 'int', min: 0, max: 3_600_000, doc: 'first wait before restarting a crashed tenant engine; doubles with each consecutive failure' },
  vmRecoveryBackoffMaxMs: { env: 'VM_RECOVERY_BACKOFF_MAX_MS', flag: '--vm-recovery-backoff-max-ms', kind: 'int', min: 0, max: 86_400_000, doc: 'cap of that wait; an engine healthy this long has its failure count reset' },
  vmStopGraceMs: { env: 'VM_STOP_GRACE_MS', flag: '--vm-stop-grace-ms', kind: 'int', min: 0, max: 600_000, doc: 'local driver: SIGTERM, then SIGKILL after this long' },
  flyApiBase: { env: 'FLY_API_BASE', flag: '--fly-api-base', kind: 'url', doc: 'Fly.io Machines API base URL' },
  flyApiToken: { env: 'FLY_API_TOKEN', flag: '--fly-api-token', kind: 'string', doc: 'Fly.io API token (VM_PROVIDER=fly)' },
  flyAppName: { env: 'FLY_APP_NAME', flag: '--fly-app-name', kind: 'string', doc: 'Fly.io app the tenant machines belong to (VM_PROVIDER=fly)' },
  flyRegions: { env: 'FLY_REGIONS', flag: '--fly-regions', kind: 'string', doc: 'comma list of Fly.io regions, tried in order when one lacks capacity' },
  flyImage: { env: 'FLY_IMAGE', flag: '--fly-image', kind: 'string', doc: 'image of the driftwatch engine the Fly.io machines run (VM_PROVIDER=fly)' },
  stripeSecretKey: { env: 'STRIPE_SECRET_KEY', flag: '--stripe-secret-key', kind: 'string', doc: 'Stripe secret key; unset: billing disabled (billing routes answer DW_ERR_BILLING_DISABLED, the rest works)' },
  stripePublishableKey: { env: 'STRIPE_PUBLISHABLE_KEY', flag: '--stripe-publishable-key', kind: 'string', doc: 'Stripe publishable key, handed to clients by GET /api/v1/billing/plans' },
  stripeWebhookSecret: { env: 'STRIPE_WEBHOOK_SECRET', flag: '--stripe-webhook-secret', kind: 'string', doc: 'signing secret of the Stripe webhook endpoint (whsec_...); unset: POST /api/v1/webhooks/stripe answers DW_ERR_BILLING_DISABLED' },
  stripeSuccessUrl: { env: 'STRIPE_SUCCESS_URL', flag: '--stripe-success-url', kind: 'url', doc: 'where Checkout sends the customer after paying (and where the billing portal returns to)' },
  stripeCancelUrl: { env: 'STRIPE_CANCEL_URL', flag: '--stripe-cancel-url', kind: 'url', doc: 'where Checkout sends a customer who leaves without paying' },
  stripeCurrency: { env: 'STRIPE_CURRENCY', flag: '--stripe-currency', kind: 'string', doc: 'currency shown with the plans (ISO code, lower case)' },
  stripeFreePlanId: { env: 'STRIPE_FREE_PLAN_ID', flag: '--stripe-free-plan-id', kind: 'string', doc: 'Stripe price id of the free plan' },
  stripeProPlanId: { env: 'STRIPE_PRO_PLAN_ID', flag: '--stripe-pro-plan-id', kind: 'string', doc: 'Stripe price id of the pro plan' },
  stripeBusinessPlanId: { env: 'STRIPE_BUSINESS_PLAN_ID', flag: '--stripe-business-plan-id', kind: 'string', doc: 'Stripe price id of the business plan' },
  stripeUsageEnabled: { env: 'STRIPE_USAGE_ENABLED', flag: '--stripe-usage-enabled', kind: 'bool', doc: 'the control API reports hourly event counts to Stripe as billing meter events' },
  stripeMeterEventName: { env: 'STRIPE_METER_EVENT_NAME', flag: '--stripe-meter-event-name', kind: 'string', doc: 'event_name of the meter events (the Stripe meter\'s event name)' },
  stripeApiBase: { env: 'STRIPE_API_BASE', flag: '--stripe-api-base', kind: 'url', doc: 'another Stripe API server, such as stripe-mock (http://127.0.0.1:12111); unset: api.stripe.com' },
  stripeUsageReportIntervalSeconds: { env: 'STRIPE_USAGE_REPORT_INTERVAL_SECONDS', flag: '--stripe-usage-report-interval-seconds', kind: 'int', min: 1, max: 86_400, doc: 'how often the usage reporter sends closed hours to Stripe (and past-due grace periods are checked)' },
  routingServiceToken: { env: 'ROUTING_SERVICE_TOKEN', flag: '--routing-service-token', kind: 'string', minLength: 32, doc: 'bearer token edge workers present to GET /api/v1/routing/:subdomain (at least 32 characters); unset: that route answers 503 DW_ERR_ROUTING_DISABLED' },
  metricsToken: { env: 'METRICS_TOKEN', flag: '--metrics-token', kind: 'string', minLength: 16, doc: 'bearer token GET /metrics asks for on the engine, the control API and the edge proxy (at least 16 characters); unset: /metrics is open (keep the ports private)' },
  routeTtlSeconds: { env: 'ROUTE_TTL_SECONDS', flag: '--route-ttl-seconds', kind: 'int', min: 1, max: 3600, doc: 'how long a route is cached (in memory, in Redis, and by edge workers: Cache-Control max-age)' },
  liveMaxConnectionsPerTenant: { env: 'LIVE_MAX_CONNECTIONS_PER_TENANT', flag: '--live-max-connections-per-tenant', kind: 'int', min: 1, max: 100000, doc: 'live-feed connections (GET /api/v1/live, Server-Sent Events) one tenant may hold open on one control API instance; more get 429 DW_ERR_LIVE_LIMIT' },
  smtpUrl: { env: 'SMTP_URL', flag: '--smtp-url', kind: 'url', doc: 'SMTP server for email alert channels (smtp://user:pass@host:587, smtps://host:465; nodemailer); unset: email channels are refused (501 DW_ERR_ALERTS_EMAIL_DISABLED)' },
  alertEmailFrom: { env: 'ALERT_EMAIL_FROM', flag: '--alert-email-from', kind: 'string', doc: 'the From of alert emails' },
  alertIncidentWindowSeconds: { env: 'ALERT_INCIDENT_WINDOW_SECONDS', flag: '--alert-incident-window-seconds', kind: 'int', min: 1, max: 86400, doc: 'anomalies stored without detection\'s `incident_id` (written by an engine older than incidents): one notification per stream, detector and window of this many seconds (fixed windows of `detected_at`)' },
  alertRetryBaseMs: { env: 'ALERT_RETRY_BASE_MS', flag: '--alert-retry-base-ms', kind: 'int', min: 1, max: 3600000, doc: 'first wait before a failed alert delivery is tried again; doubles with each attempt (capped at one hour)' },
  alertMaxAttempts: { env: 'ALERT_MAX_ATTEMPTS', flag: '--alert-max-attempts', kind: 'int', min: 1, max: 50, doc: 'attempts per alert delivery before it is marked failed' },
  alertPollMs: { env: 'ALERT_POLL_MS', flag: '--alert-poll-ms', kind: 'int', min: 10, max: 600000, doc: 'how often the alert dispatcher looks for due deliveries (retries, other instances\' work); new incidents are sent at once' },
  alertSystemCheckMs: { env: 'ALERT_SYSTEM_CHECK_MS', flag: '--alert-system-check-ms', kind: 'int', min: 100, max: 3600000, doc: 'how often the alert dispatcher checks quota usage (80% and 100%) and engine VM crashes' },
  alertAllowPrivateTargets: { env: 'ALERT_ALLOW_PRIVATE_TARGETS', flag: '--alert-allow-private-targets', kind: 'bool', doc: 'let webhook and Slack channels point at loopback, private and link-local addresses (off: refused, against requests into the server\'s own network)' },
  dashboardUrl: { env: 'DASHBOARD_URL', flag: '--dashboard-url', kind: 'url', doc: 'public address of the dashboard, for links in alerts (default http://<host>:<control port>)' },
  natsUrl: { env: 'NATS_URL', flag: '--nats-url', kind: 'string', pattern: /^nats:\/\/[^\s,]+(,nats:\/\/[^\s,]+)*$/, doc: 'NATS servers (comma list of nats://host:port); set: ingest publishes to JetStream and the engine runs the roles of --roles (docs/scaling.md); unset: one process does everything, as before' },
  roles: { env: 'DRIFTWATCH_ROLES', flag: '--roles', kind: 'string', pattern: /^(ingest|detect|store)(,(ingest|detect|store))*$/, doc: 'with NATS_URL: which of ingest, detect, store this engine runs (comma list)' },
  natsReplicas: { env: 'NATS_REPLICAS', flag: '--nats-replicas', kind: 'int', min: 1, max: 5, doc: 'with NATS_URL: replicas of the JetStream streams and the partition lease bucket (3 on a three-node cluster)' },
  routeNegativeTtlSeconds: { env: 'ROUTE_NEGATIVE_TTL_SECONDS', flag: '--route-negative-ttl-seconds', kind: 'int', min: 1, max: 3600, doc: 'how long an unknown subdomain is remembered as unknown (negative caching)' },
  edgePort: { env: 'EDGE_PORT', flag: '--edge-port', kind: 'int', min: 0, max: 65535, doc: 'port of the built-in edge proxy (`up`, `edge`): <subdomain>.<domain> goes to that tenant\'s engine; 0 picks a free one' },
  driftwatchDomain: { env: 'DRIFTWATCH_DOMAIN', flag: '--domain', kind: 'string', pattern: /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, doc: 'base domain of the edge proxy: the Host alice.<domain> is routed to the tenant with slug alice' },
});


/** `MAX_BODY_BYTES (options.maxBodyBytes) <what>`: the one shape of every option error. */
const bad = (name: string, spec: OptionSpec, what: string): TypeError => new TypeError(`${spec.env} (options.${name}) ${what}`);

function parseValue(name: string, spec: OptionSpec, raw: string): unknown {
  const got = `got ${JSON.stringify(raw)}`;
  switch (spec.kind) {
    case 'int': {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw bad(name, spec, `must be an integer, ${got}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw bad(name, spec, `must be between ${spec.min} and ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(v)) return true;
      if (FALSE_WORDS.includes(v)) return false;
      throw bad(name, spec, `must be true or false, ${got}`);
    }
    case 'url':
      if (!URL.canParse(raw)) throw bad(name, spec, `must be a URL, ${got}`);
      return raw;
    case 'enum':
      if (!spec.values!.includes(raw)) throw bad(name, spec, `must be one of ${spec.values!.join(', ')}, ${got}`);
      return raw;
    case 'uuid':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw)) throw bad(name, spec, `must be a UUID, ${got}`);
      return raw.toLowerCase();
    case 'string':
      if (raw.length === 0) throw bad(name, spec, 'must not be empty');
      if (spec.minLength !== undefined && raw.length < spec.minLength) throw bad(name, spec, `must be at least ${spec.minLength} characters long`);
      if (spec.pattern !== undefined && !spec.pattern.test(raw)) throw bad(name, spec, `is not valid, ${got}`);
      return raw;
  }
}

export interface LoadConfigInput {
  env?: Record<string, string | undefined>;
  /** Flags from the command line, keyed by flag name (`--engine-port`), already split. */
  flags?: Record<string, string>;
  /** Programmatic overrides (tests), already typed; validated like the rest. */
  overrides?: Partial<Config>;
}

/**
 * Builds the one frozen Config: defaults < environment < flags < overrides.
 * Throws TypeError with the variable's name on any bad value or unknown flag.
 */
export function loadConfig(input: LoadConfigInput = {}): Readonly<Config> {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const out: Record<string, unknown> = { ...defaults };
  const byFlag = new Map<string, keyof Config>();
  for (const [name, spec] of Object.entries(options) as [keyof Config, OptionSpec][]) {
    byFlag.set(spec.flag, name);
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') out[name] = parseValue(name, spec, raw);
  }
  for (const [flag, raw] of Object.entries(flags)) {
    const name = byFlag.get(flag);
    if (name === undefined) throw new TypeError(`unknown option ${flag} (see --help)`);
    out[name] = parseValue(name, options[name], raw);
  }
  for (const [name, value] of Object.entries(input.overrides ?? {})) {
    if (!(name in options)) throw new TypeError(`unknown option options.${name}`);
    if (value !== undefined) {
      const spec = options[name as keyof Config];
      out[name] = spec.kind === 'int' || spec.kind === 'bool' || spec.kind === 'uuid' || (spec.kind === 'string' && (spec.minLength !== undefined || spec.pattern !== undefined))
        ? parseValue(name, spec, String(value)) : value;
    }
  }
  out.dataDir = resolve(String(out.dataDir));
  parseTrustProxy(String(out.trustProxy));
  if (typeof out.externalJwtSecret === 'string' && out.externalJwtSecret.length < 32) {
    throw bad('externalJwtSecret', options.externalJwtSecret, 'must be at least 32 characters');
  }
  if (Number(out.accessTokenTtlSeconds) > Number(out.maxAccessTokenLifetimeSeconds)) {
    throw bad('accessTokenTtlSeconds', options.accessTokenTtlSeconds, `must not exceed MAX_ACCESS_TOKEN_LIFETIME_SECONDS (${String(out.maxAccessTokenLifetimeSeconds)}), got ${String(out.accessTokenTtlSeconds)}: the tokens we sign would be refused`);
  }
  checkVmOptions(out as unknown as Config);
  // The spool lives under the data directory unless SPOOL_DIR (or its flag or override) says otherwise.
  const spoolGiven = (env[options.spoolDir.env] ?? '') !== '' || options.spoolDir.flag in flags || input.overrides?.spoolDir !== undefined;
  out.spoolDir = spoolGiven ? resolve(String(out.spoolDir)) : join(String(out.dataDir), 'spool');
  return Object.freeze(out) as unknown as Readonly<Config>;
}

/** Options that only make sense together: the fly provider needs its token, app and image. */
function checkVmOptions(c: Config): void {
  const regions = c.flyRegions.split(',').map((r) => r.trim());
  if (regions.some((r) => !/^[a-z0-9]{3,4}$/.test(r))) throw bad('flyRegions', options.flyRegions, `must be a comma list of region codes (iad,ams), got ${JSON.stringify(c.flyRegions)}`);
  if (c.vmProvider !== 'fly') return;
  for (const name of ['flyApiToken', 'flyAppName', 'flyImage'] as const) {
    if (c[name] === undefined) throw bad(name, options[name], 'must be set when VM_PROVIDER is fly');
  }
}
