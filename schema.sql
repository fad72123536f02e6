-- driftwatch schema. Applied at every start by `driftwatch migrate` (and `up`, `engine`,
-- `control`) under an advisory lock; every statement is idempotent.

CREATE TABLE IF NOT EXISTS tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  slug        text NOT NULL UNIQUE,
  plan        text NOT NULL DEFAULT 'free',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Plans and their quotas (src/plans.ts holds the same seed). tenants.plan names one of them.
CREATE TABLE IF NOT EXISTS plans (
  id                text PRIMARY KEY,
  name              text NOT NULL,
  events_per_month  bigint,                 -- null = unlimited
  retention_days    integer NOT NULL
);
INSERT INTO plans (id, name, events_per_month, retention_days) VALUES
  ('free', 'Free', 10000, 7),
  ('pro', 'Pro', 100000, 30),
  ('business', 'Business', NULL, 90)
ON CONFLICT (id) DO NOTHING;

-- Per-plan ingest limits (engine, after authentication; src/limits.ts). NULL = the engine's global
-- setting (MAX_BODY_BYTES, MAX_BATCH_EVENTS, TENANT_EVENTS_PER_SECOND). The sizes are capped by the
-- global setting (the ceiling the engine buffers for); the rate replaces the global one.
ALTER TABLE plans ADD COLUMN IF NOT EXISTS max_body_bytes bigint CHECK (max_body_bytes > 0);
ALTER TABLE plans ADD COLUMN IF NOT EXISTS max_batch_events integer CHECK (max_batch_events > 0);
ALTER TABLE plans ADD COLUMN IF NOT EXISTS events_per_second integer CHECK (events_per_second >= 0);
-- Seeded once (limits_seeded), so that an operator's later change, NULL included, is kept across restarts.
-- Free 1 MiB / 1,000 events / 10,000 events/s; Pro 4 MiB / 5,000 / 50,000; Business: the globals (README "Plans and quotas").
ALTER TABLE plans ADD COLUMN IF NOT EXISTS limits_seeded boolean NOT NULL DEFAULT false;
UPDATE plans SET
  max_body_bytes = CASE id WHEN 'free' THEN 1048576 WHEN 'pro' THEN 4194304 END,
  max_batch_events = CASE id WHEN 'free' THEN 1000 WHEN 'pro' THEN 5000 END,
  events_per_second = CASE id WHEN 'free' THEN 10000 WHEN 'pro' THEN 50000 END,
  limits_seeded = true
WHERE NOT limits_seeded AND id IN ('free', 'pro', 'business');

-- Per-tenant overrides of the plan's ingest limits: a non-NULL value replaces the plan's (SQL only for now).
CREATE TABLE IF NOT EXISTS tenant_limits (
  tenant_id          uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  max_body_bytes     bigint CHECK (max_body_bytes > 0),
  max_batch_events   integer CHECK (max_batch_events > 0),
  events_per_second  integer CHECK (events_per_second >= 0)
);

CREATE TABLE IF NOT EXISTS users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email          text NOT NULL,
  username       text NOT NULL,
  name           text NOT NULL DEFAULT '',
  password_hash  text NOT NULL,
  role           text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'member', 'admin')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (lower(email));
CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
CREATE INDEX IF NOT EXISTS users_tenant_idx ON users (tenant_id);

-- A login session; refresh tokens rotate inside it (single use, reuse revokes the session).
CREATE TABLE IF NOT EXISTS sessions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash  bytea PRIMARY KEY,            -- sha256 of the opaque token
  session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);

-- ES256 signing keys for access tokens; the newest un-retired key signs, all published verify.
CREATE TABLE IF NOT EXISTS signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL,
  private_jwk  jsonb NOT NULL,
  public_jwk   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);

-- API keys for agents: shown once, stored as sha256 (the key carries 192 random bits).
CREATE TABLE IF NOT EXISTS api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL DEFAULT '',
  prefix        text NOT NULL,
  key_hash      bytea NOT NULL UNIQUE,
  scopes        text[] NOT NULL DEFAULT ARRAY['ingest', 'read'],
  created_by    uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant_idx ON api_keys (tenant_id);

-- Events as received, stored in compressed per-stream blocks (engine/sinks/postgres/blocks.ts):
-- one row per (tenant, stream, write) with the events' time range and count, written with COPY
-- and decoded on read (src/event-blocks.ts). id orders blocks as they were written; received_at
-- is the partition key: one partition per UTC day, created ahead by dw_event_block_partitions()
-- (here and hourly by the engine), dropped whole once older than the longest plan retention,
-- and a tenant's blocks deleted once older than its plan's retention (engine/sinks/postgres/retention.ts).
CREATE SEQUENCE IF NOT EXISTS event_blocks_id_seq;
CREATE TABLE IF NOT EXISTS event_blocks (
  id           bigint NOT NULL DEFAULT nextval('event_blocks_id_seq'),
  tenant_id    uuid NOT NULL,
  stream       text NOT NULL,
  stream_type  text NOT NULL,
  first_ts     timestamptz NOT NULL,      -- the least event time in the block
  last_ts      timestamptz NOT NULL,      -- the greatest
  count        integer NOT NULL,
  batch_key    text,                      -- the write's idempotency key (ingest_batches), if any
  first_index  integer NOT NULL,          -- position of the block's first event in its write
  codec        text NOT NULL,             -- 'brotli' | 'deflate' | 'none'
  payload      bytea NOT NULL,            -- JSON [[ts ms, data, metadata], ...], compressed
  received_at  timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (received_at);
-- Catches rows of a day whose partition is missing (clock jumps); retention deletes from it too.
CREATE TABLE IF NOT EXISTS event_blocks_default PARTITION OF event_blocks DEFAULT;
CREATE INDEX IF NOT EXISTS event_blocks_tenant_last_idx ON event_blocks (tenant_id, last_ts DESC);
CREATE INDEX IF NOT EXISTS event_blocks_tenant_stream_last_idx ON event_blocks (tenant_id, stream, last_ts DESC);

-- Creates the daily partitions event_blocks_pYYYYMMDD for the UTC days from_day..to_day that
-- do not exist yet; returns how many it created. A day whose rows already sit in the default
-- partition is skipped (PostgreSQL would refuse it); those rows are still read and expired.
CREATE OR REPLACE FUNCTION dw_event_block_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  d date := from_day;
  made integer := 0;
  name text;
BEGIN
  WHILE d <= to_day LOOP
    name := 'event_blocks_p' || to_char(d, 'YYYYMMDD');
    IF to_regclass(name) IS NULL THEN
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF event_blocks FOR VALUES FROM (%L) TO (%L)',
          name, d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
        made := made + 1;
      EXCEPTION
        WHEN check_violation THEN
          RAISE NOTICE 'event_blocks: rows of % are in the default partition; partition % not created', d, name;
        WHEN duplicate_table THEN
          NULL;  -- another engine made it meanwhile
      END;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN made;
END $$;
SELECT dw_event_block_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 7);

-- The row-per-event table of earlier versions: its rows become one-event blocks (codec 'none'),
-- in id order, then it is dropped. Runs once (the table is gone afterwards).
DO $$
BEGIN
  IF to_regclass('public.events') IS NOT NULL THEN
    INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, batch_key, first_index, codec, payload, received_at)
      SELECT tenant_id, stream, stream_type, ts, ts, 1, NULL, 0, 'none',
             convert_to(jsonb_build_array(jsonb_build_array(floor(extract(epoch FROM ts) * 1000)::bigint, data, metadata))::text, 'UTF8'),
             received_at
        FROM events ORDER BY id;
    DROP TABLE events;
  END IF;
END $$;

-- Per-minute rollup of every stream, kept by the engine's events sink in the transaction that
-- COPYs the blocks (engine/sinks/postgres/service.ts): events per (stream, minute of event time),
-- and for metrics the values' count, sum, least and greatest. A late event adds to its own
-- minute. The dashboard's series route reads it (src/control/streams/views.ts) and never
-- decodes blocks. Rows are deleted with the tenant's plan retention and with their stream.
CREATE TABLE IF NOT EXISTS stream_minutes (
  tenant_id    uuid NOT NULL,
  stream       text NOT NULL,
  minute       timestamptz NOT NULL,
  stream_type  text NOT NULL,
  events       bigint NOT NULL,
  value_count  bigint NOT NULL DEFAULT 0,
  value_sum    double precision NOT NULL DEFAULT 0,
  value_min    double precision,
  value_max    double precision,
  PRIMARY KEY (tenant_id, stream, minute, stream_type)
);

-- One row per stream: type, events stored, least and greatest event time, when it last got
-- events. Same transaction as the blocks; the streams list reads it. Filled once from the
-- blocks when the table is created (first_seen, last_seen from their time ranges).
DO $$
BEGIN
  IF to_regclass('public.stream_totals') IS NULL THEN
    CREATE TABLE stream_totals (
      tenant_id         uuid NOT NULL,
      stream            text NOT NULL,
      stream_type       text NOT NULL,
      events_total      bigint NOT NULL DEFAULT 0,
      first_seen        timestamptz NOT NULL,
      last_seen         timestamptz NOT NULL,
      last_received_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, stream, stream_type)
    );
    INSERT INTO stream_totals (tenant_id, stream, stream_type, events_total, first_seen, last_seen, last_received_at)
      SELECT tenant_id, stream, stream_type, sum(count), min(first_ts), max(last_ts), max(received_at)
        FROM event_blocks GROUP BY tenant_id, stream, stream_type;
  END IF;
END $$;

-- A stream muted for a while (pattern null), or only its anomalies whose explanation or event
-- contains `pattern`: they are still stored and shown, but raise no alert
-- (POST /api/v1/streams/:stream/mute).
CREATE TABLE IF NOT EXISTS stream_mutes (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id   uuid NOT NULL,
  stream      text NOT NULL,
  pattern     text,
  until       timestamptz NOT NULL,
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS stream_mutes_tenant_stream_idx ON stream_mutes (tenant_id, stream, until);

-- Anomalies found by the workers (written with COPY).
CREATE TABLE IF NOT EXISTS anomalies (
  id           uuid NOT NULL,
  tenant_id    uuid NOT NULL,
  stream       text NOT NULL,
  stream_type  text NOT NULL,
  score        double precision NOT NULL,
  detector     text NOT NULL,
  explanation  text NOT NULL,
  event        jsonb NOT NULL,
  details      jsonb,
  event_ts     timestamptz,
  detected_at  timestamptz NOT NULL DEFAULT now(),
  status       text NOT NULL DEFAULT 'open'
               CHECK (status IN ('open', 'resolved', 'false_positive', 'confirmed')),
  resolved_at  timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS anomalies_tenant_detected_idx ON anomalies (tenant_id, detected_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS anomalies_tenant_stream_idx ON anomalies (tenant_id, stream, detected_at DESC);
-- Related findings of a stream share an incident (engine/transforms/incidents.ts); the control
-- API lists incidents as the anomalies grouped by it. Null for rows stored before incidents.
ALTER TABLE anomalies ADD COLUMN IF NOT EXISTS incident_id uuid;
CREATE INDEX IF NOT EXISTS anomalies_tenant_incident_idx ON anomalies (tenant_id, incident_id) WHERE incident_id IS NOT NULL;

-- Batches already stored, so that a resent batch is acknowledged again but not stored twice.
CREATE TABLE IF NOT EXISTS ingest_batches (
  tenant_id    uuid NOT NULL,
  batch_key    text NOT NULL,
  event_count  integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, batch_key)
);

-- Usage per tenant and hour, counted by the engine (quotas and billing read it).
CREATE TABLE IF NOT EXISTS usage_counters (
  tenant_id  uuid NOT NULL,
  bucket     timestamptz NOT NULL,
  events     bigint NOT NULL DEFAULT 0,
  bytes      bigint NOT NULL DEFAULT 0,
  anomalies  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, bucket)
);

-- Who did what to which account or key (logins, token reuse, key creation and revocation).
-- tenant_id is null for a failed login with an unknown address. Written after the fact by the
-- control API (src/audit.ts); a failed write never fails the request it describes.
CREATE TABLE IF NOT EXISTS audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id      uuid,
  actor_user_id  uuid,
  actor_kind     text NOT NULL,
  action         text NOT NULL,
  target         text,
  ip             text,
  details        jsonb,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_log_tenant_created_idx ON audit_log (tenant_id, created_at DESC);

-- A batch key's fingerprint (sha256 of its COPY lines): the same key with different data is
-- refused (DW_ERR_CONFLICT), not acknowledged as a duplicate. Null on rows written before.
ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS fingerprint bytea;
-- Retention (7 days, deleted in bounded chunks by the engine's sinks about once an hour).
CREATE INDEX IF NOT EXISTS ingest_batches_created_idx ON ingest_batches (created_at);

-- One marker row per group-commit transaction of the engine's sinks: when the connection drops
-- after COMMIT was sent, the sink looks the marker up on a fresh connection to learn whether
-- the transaction committed. Same 7-day retention. tenant_id: the tenant of the transaction's
-- first write, so that the marker lives on that tenant's shard under Citus (docs/scaling.md);
-- the nil uuid on rows written before it existed.
CREATE TABLE IF NOT EXISTS ingest_commits (
  tenant_id   uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  id          uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS ingest_commits_created_idx ON ingest_commits (created_at);

-- Per-stream detection profile and the threshold offset moved by feedback on its anomalies
-- (POST /api/v1/anomalies/:id/feedback: +0.02 per false positive, -0.01 per confirmed, within
-- [-0.15, 0.2]). The engine's scorer reads it (cached a few seconds) into each task's threshold.
CREATE TABLE IF NOT EXISTS stream_settings (
  tenant_id           uuid NOT NULL,
  stream              text NOT NULL,
  profile             text NOT NULL DEFAULT 'balanced' CHECK (profile IN ('sensitive', 'balanced', 'strict')),
  threshold_offset    double precision NOT NULL DEFAULT 0,
  feedback_fp         integer NOT NULL DEFAULT 0,
  feedback_confirmed  integer NOT NULL DEFAULT 0,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream)
);
-- The metadata field that names a log or trace stream's sessions (the sequence detector groups its
-- events by it, and by it alone); null: automatic (a trace/request/session id in the metadata, else
-- a blk_ id or trace/request id in the text). Added after the table: older databases get it here.
ALTER TABLE stream_settings ADD COLUMN IF NOT EXISTS session_field text CHECK (session_field ~ '^[A-Za-z0-9_.-]{1,64}$');

-- Detector state per stream (engine/sinks/postgres/state.ts): the engine's scorer saves it every
-- 30 s, when a stream leaves its memory and at shutdown, and loads it on a stream's first task, so
-- a restart or an upgrade resumes every stream without a new warm-up. format 1: the worker's state
-- bytes as its task returned them (each detector's JSON carries its own version and migrates
-- older ones); session_state: a log or trace stream's session tracker, once it has one. A
-- deleted tenant's states go with it.
CREATE TABLE IF NOT EXISTS detector_states (
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  stream_type  text NOT NULL,
  stream       text NOT NULL,
  format       smallint NOT NULL,
  state        bytea NOT NULL,
  session_state bytea,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_type, stream)
);
-- The stream's open incidents (engine/transforms/incidents.ts), saved with the state, so a finding
-- after a restart joins the incident opened before it. JSON text (a key may hold U+0000, which
-- jsonb refuses); null: none, or saved before incidents were checkpointed.
ALTER TABLE detector_states ADD COLUMN IF NOT EXISTS incidents text;

-- Per-tenant engine machines (src/machines/registry.ts): at most one per tenant (the unique
-- index makes concurrent starts for one tenant claim one row). state is what the control API
-- last observed; desired_state what the tenant asked for (a machine stopped by a control-API
-- shutdown, or crashed, is brought back while desired_state is running). A crashed machine is
-- retried at next_attempt_at, with a backoff that doubles with failures (capped).
CREATE TABLE IF NOT EXISTS machines (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  provider             text NOT NULL CHECK (provider IN ('local', 'fly')),
  provider_machine_id  text,
  name                 text NOT NULL,
  state                text NOT NULL CHECK (state IN ('starting', 'running', 'stopped', 'crashed')),
  desired_state        text NOT NULL DEFAULT 'running' CHECK (desired_state IN ('running', 'stopped')),
  address              text,
  region               text,
  failures             integer NOT NULL DEFAULT 0,
  next_attempt_at      timestamptz,
  last_error           text,
  started_at           timestamptz,
  last_healthy_at      timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS machines_tenant_key ON machines (tenant_id);
-- Billing (src/billing/, src/plugins/billing.ts). A tenant's Stripe customer, created before its
-- first Checkout session; webhooks and the usage reporter find the tenant through it.
CREATE TABLE IF NOT EXISTS billing_customers (
  tenant_id           uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  stripe_customer_id  text NOT NULL UNIQUE,
  created_at          timestamptz NOT NULL DEFAULT now()
);

-- The tenant's subscription as last read from Stripe (webhooks re-read it, so deliveries out of
-- order end in Stripe's current state). tenants.plan follows it: active/trialing -> the plan of
-- the price; past_due -> that plan until past_due_since + the grace period, then free;
-- canceled/unpaid/incomplete/incomplete_expired/paused -> free.
CREATE TABLE IF NOT EXISTS billing_subscriptions (
  tenant_id               uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  stripe_subscription_id  text NOT NULL,
  stripe_customer_id      text NOT NULL,
  status                  text NOT NULL,
  price_id                text,
  plan                    text,                 -- plan of price_id; null: a price we do not know
  current_period_start    timestamptz,
  current_period_end      timestamptz,
  cancel_at               timestamptz,
  cancel_at_period_end    boolean NOT NULL DEFAULT false,
  canceled_at             timestamptz,
  past_due_since          timestamptz,
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Stripe webhook events already processed: inserted in the transaction that applies the event,
-- so an event id is applied once, and a failed one (rolled back) is applied on Stripe's retry.
CREATE TABLE IF NOT EXISTS stripe_webhook_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  tenant_id    uuid,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stripe_webhook_events_received_idx ON stripe_webhook_events (received_at);

-- What the usage reporter sent to Stripe, one row per tenant and hour of usage_counters: written
-- (pending, with its identifier and value) before the meter event is sent and marked sent after,
-- so an hour is claimed once and a resend after a crash carries the same identifier.
-- expired: the hour was older than Stripe's 35-day window when first seen; rejected: Stripe
-- refused it (400); both show in `driftwatch billing reconcile`.
CREATE TABLE IF NOT EXISTS billing_usage_reports (
  tenant_id           uuid NOT NULL,
  bucket              timestamptz NOT NULL,
  identifier          text NOT NULL,
  stripe_customer_id  text NOT NULL,
  events              bigint NOT NULL,
  status              text NOT NULL CHECK (status IN ('pending', 'sent', 'rejected', 'expired')),
  attempts            integer NOT NULL DEFAULT 0,
  last_error          text,
  claimed_at          timestamptz NOT NULL DEFAULT now(),
  sent_at             timestamptz,
  PRIMARY KEY (tenant_id, bucket),
  CONSTRAINT billing_usage_reports_tenant_identifier_key UNIQUE (tenant_id, identifier)
);
CREATE INDEX IF NOT EXISTS billing_usage_reports_pending_idx ON billing_usage_reports (bucket) WHERE status = 'pending';

-- Usage recorded by hand (POST /api/v1/billing/usage, owners and admins), sent as its own meter event.
CREATE TABLE IF NOT EXISTS billing_manual_usage (
  id                  uuid NOT NULL,
  tenant_id           uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idempotency_key     text,
  identifier          text NOT NULL,
  stripe_customer_id  text NOT NULL,
  events              bigint NOT NULL CHECK (events > 0),
  ts                  timestamptz NOT NULL,
  reason              text,
  actor_user_id       uuid,
  status              text NOT NULL CHECK (status IN ('pending', 'sent')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  sent_at             timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key),
  CONSTRAINT billing_manual_usage_tenant_identifier_key UNIQUE (tenant_id, identifier)
);
-- The routing table: a tenant's subdomain (its slug) → the address ("host:port") of its engine,
-- written by the machine registry (src/routing/table.ts) and read by the edge proxy and edge
-- workers (GET /api/v1/routing/:subdomain). version comes from one sequence and is taken under a
-- per-subdomain lock, so it grows with every change in commit order, across a remove and a
-- re-create too: caches drop a message whose version is older than what they hold.
CREATE SEQUENCE IF NOT EXISTS routes_version_seq;
CREATE TABLE IF NOT EXISTS routes (
  subdomain   text PRIMARY KEY,
  address     text NOT NULL,
  machine_id  text,
  tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
  version     bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS routes_tenant_idx ON routes (tenant_id);

-- Alerts (src/control/alerts/): a tenant's notification channels, its rules, its system events,
-- and the delivery log. A webhook's secret (or a Slack incoming
-- webhook's URL, itself a credential) is kept in `secret` and never returned after creation.
CREATE TABLE IF NOT EXISTS alert_channels (
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
  name           text NOT NULL,
  target         text NOT NULL,
  secret         text,
  system_alerts  boolean NOT NULL DEFAULT true,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS alert_channels_tenant_idx ON alert_channels (tenant_id);

-- Which anomalies notify which channels: streams null = all (else names or globs with *),
-- quiet hours [quiet_start, quiet_end) in quiet_tz (null = none).
CREATE TABLE IF NOT EXISTS alert_rules (
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name         text NOT NULL,
  streams      text[],
  min_score    double precision NOT NULL DEFAULT 0.5 CHECK (min_score >= 0 AND min_score <= 1),
  quiet_start  text,
  quiet_end    text,
  quiet_tz     text,
  channel_ids  uuid[] NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS alert_rules_tenant_idx ON alert_rules (tenant_id);

-- A system event (kind quota / vm_crash, key unique per tenant, e.g. quota:2026-12:80), so that it
-- is raised once however many instances see it. Anomalies are not kept here: an alert is keyed on
-- detection's incident (anomalies.incident_id; src/control/alerts/incidents.ts), and kind
-- 'anomaly' rows, which duplicated it, are deleted below (the anomaly-only columns stay unused).
CREATE TABLE IF NOT EXISTS alert_incidents (
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind              text NOT NULL CHECK (kind IN ('anomaly', 'quota', 'vm_crash')),
  key               text NOT NULL,
  stream            text,
  detector          text,
  first_anomaly_id  uuid,
  first_at          timestamptz NOT NULL DEFAULT now(),
  last_at           timestamptz NOT NULL DEFAULT now(),
  count             integer NOT NULL DEFAULT 1,
  max_score         double precision,
  details           jsonb,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS alert_incidents_key_idx ON alert_incidents (tenant_id, key, last_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS alert_incidents_system_key ON alert_incidents (tenant_id, key) WHERE kind <> 'anomaly';

-- The delivery log: one row per (channel, incident or system event or test): the unique key
-- (dedupe_key incident:<id>) makes a notification be queued once, and is all the state an
-- incident's notification needs; instances claim due rows with FOR UPDATE SKIP LOCKED.
-- incident_id: detection's incident (anomalies.incident_id), or the system event's alert_incidents id.
-- status: pending (due at next_attempt_at), sending (claimed until locked_until), sent, failed
-- (ALERT_MAX_ATTEMPTS used), suppressed (quiet hours or a mute; last_error says which).
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_id       uuid NOT NULL,
  incident_id      uuid,
  rule_id          uuid,
  event            text NOT NULL,
  dedupe_key       text NOT NULL,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'suppressed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  last_error       text,
  response_code    integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT alert_deliveries_tenant_channel_dedupe_key UNIQUE (tenant_id, channel_id, dedupe_key),
  CONSTRAINT alert_deliveries_channel_fkey FOREIGN KEY (tenant_id, channel_id)
    REFERENCES alert_channels (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS alert_deliveries_tenant_idx ON alert_deliveries (tenant_id, created_at DESC);
-- Migration (alerts keyed on detection's incident): deliveries keep their incident id (the
-- detection's, which alert_incidents copied) when the duplicate rows go.
ALTER TABLE alert_deliveries DROP CONSTRAINT IF EXISTS alert_deliveries_incident_id_fkey;
DROP TABLE IF EXISTS alert_incident_anomalies;
DELETE FROM alert_incidents WHERE kind = 'anomaly';

-- Keys led by tenant_id. Every primary key and unique constraint of a tenant's table starts with
-- tenant_id and every foreign key between two of them carries it, so that each table can be
-- distributed by tenant_id on Citus (docs/scaling.md; test/internals/citus-keys.test.ts checks
-- the rule on the live schema). The tables above are created that way; a database made before
-- has its keys replaced here, once (each step looks at the catalog first):
--   anomalies, stream_mutes, billing_manual_usage, alert_*: PRIMARY KEY (id) -> (tenant_id, id)
--   ingest_commits: + tenant_id (nil uuid on older rows), PRIMARY KEY (tenant_id, id)
--   billing_usage_reports, billing_manual_usage: UNIQUE (identifier) -> (tenant_id, identifier)
--   alert_deliveries: UNIQUE (channel_id, dedupe_key) -> (tenant_id, channel_id, dedupe_key)
--   foreign key alert_deliveries -> alert_channels: on (tenant_id, channel_id) -> (tenant_id, id)
--   (alert_deliveries.incident_id is detection's incident or a system event's id: no foreign key)

-- The columns of constraint `con`, in key order.
CREATE OR REPLACE FUNCTION dw_constraint_columns(con oid) RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT array_agg(a.attname::text ORDER BY k.n)
    FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
   WHERE c.oid = con
$$;

-- Makes the table's primary key (kind 'p') or a unique constraint (kind 'u') be `cols`: drops
-- the constraint of that kind on `old_cols` if there is one, then adds the new one unless a
-- constraint of that kind on `cols` exists already. Returns true when it changed something.
CREATE OR REPLACE FUNCTION dw_rekey(tbl regclass, kind "char", old_cols text[], cols text[], name text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  old name;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = tbl AND contype = kind AND dw_constraint_columns(oid) = cols) THEN
    RETURN false;
  END IF;
  SELECT conname INTO old FROM pg_constraint WHERE conrelid = tbl AND contype = kind AND dw_constraint_columns(oid) = old_cols;
  IF old IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, old);
  END IF;
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s (%s)', tbl, name,
    CASE kind WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
    (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) AS c));
  RETURN true;
END $$;

DO $$
DECLARE
  fk record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'ingest_commits'::regclass AND attname = 'tenant_id' AND NOT attisdropped) THEN
    ALTER TABLE ingest_commits ADD COLUMN tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
  END IF;
  -- Foreign keys between tenant tables that do not carry tenant_id go first: they depend on the
  -- primary keys replaced below.
  FOR fk IN
    SELECT c.conname, c.conrelid::regclass AS tbl FROM pg_constraint c
     WHERE c.contype = 'f' AND c.conrelid = 'alert_deliveries'::regclass
       AND c.confrelid IN ('alert_channels'::regclass, 'alert_incidents'::regclass)
       AND NOT 'tenant_id' = ANY (dw_constraint_columns(c.oid))
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
  END LOOP;
  PERFORM dw_rekey('anomalies', 'p', '{id}', '{tenant_id,id}', 'anomalies_pkey');
  PERFORM dw_rekey('stream_mutes', 'p', '{id}', '{tenant_id,id}', 'stream_mutes_pkey');
  PERFORM dw_rekey('ingest_commits', 'p', '{id}', '{tenant_id,id}', 'ingest_commits_pkey');
  PERFORM dw_rekey('billing_manual_usage', 'p', '{id}', '{tenant_id,id}', 'billing_manual_usage_pkey');
  PERFORM dw_rekey('billing_manual_usage', 'u', '{identifier}', '{tenant_id,identifier}', 'billing_manual_usage_tenant_identifier_key');
  PERFORM dw_rekey('billing_usage_reports', 'u', '{identifier}', '{tenant_id,identifier}', 'billing_usage_reports_tenant_identifier_key');
  PERFORM dw_rekey('alert_channels', 'p', '{id}', '{tenant_id,id}', 'alert_channels_pkey');
  PERFORM dw_rekey('alert_rules', 'p', '{id}', '{tenant_id,id}', 'alert_rules_pkey');
  PERFORM dw_rekey('alert_incidents', 'p', '{id}', '{tenant_id,id}', 'alert_incidents_pkey');
  PERFORM dw_rekey('alert_deliveries', 'p', '{id}', '{tenant_id,id}', 'alert_deliveries_pkey');
  PERFORM dw_rekey('alert_deliveries', 'u', '{channel_id,dedupe_key}', '{tenant_id,channel_id,dedupe_key}', 'alert_deliveries_tenant_channel_dedupe_key');
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'alert_deliveries'::regclass AND conname = 'alert_deliveries_channel_fkey') THEN
    ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_channel_fkey FOREIGN KEY (tenant_id, channel_id)
      REFERENCES alert_channels (tenant_id, id) ON DELETE CASCADE;
  END IF;
END $$;
-- The cluster's detect role (engine/cluster/, with NATS_URL): per partition of dw.events.*, the
-- last JetStream sequence whose events are scored, saved in the same transaction as the detector
-- states (detector_states) that cover it. Only moved forward (a stale holder's checkpoint is
-- refused). Global (not per tenant): a Citus reference table (docs/scaling.md).
CREATE TABLE IF NOT EXISTS cluster_offsets (
  partition   integer PRIMARY KEY,
  seq         bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The cluster's ingest nodes (engine/cluster/quota.ts, with NATS_URL): events admitted per tenant
-- and month (ms since the epoch of the month's start, UTC), raised and checked against the plan in
-- one statement, so ingest nodes together never admit more than the plan allows. Led by tenant_id
-- (a distributed table on Citus, colocated with event_blocks).
CREATE TABLE IF NOT EXISTS quota_admitted (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  month       bigint NOT NULL,
  events      bigint NOT NULL,
  PRIMARY KEY (tenant_id, month)
);
