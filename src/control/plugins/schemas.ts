// JSON schema fragments shared by the route plugins, and the row → JSON mappers that go with
// them (timestamps as ISO strings, bigint ids as strings).
import type { AnomalyRow } from '../anomalies/service.js';

export const uuidParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
  additionalProperties: false,
} as const;

export const STREAM_TYPES = ['logs', 'metrics', 'traces', 'llm'] as const;
export const ANOMALY_STATUSES = ['open', 'resolved', 'false_positive', 'confirmed'] as const;

export const paginationProps = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const;

const anyJson = {} as const;
const isoOrNull = { type: ['string', 'null'] } as const;

export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, email: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' },
    role: { type: 'string' }, tenant_id: { type: 'string' },
  },
  required: ['id', 'email', 'username', 'name', 'role', 'tenant_id'],
} as const;

export const anomalySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, stream: { type: 'string' }, stream_type: { type: 'string' }, score: { type: 'number' },
    detector: { type: 'string' }, explanation: { type: 'string' }, event: anyJson, details: anyJson,
    event_ts: isoOrNull, detected_at: { type: 'string' }, status: { type: 'string' }, resolved_at: isoOrNull,
    incident_id: { type: ['string', 'null'], description: 'The incident this finding folds into (GET /api/v1/incidents/{id}); null for rows stored before incidents' },
  },
  required: ['id', 'stream', 'stream_type', 'score', 'detector', 'explanation', 'event', 'detected_at', 'status'],
} as const;

export const incidentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, stream: { type: 'string' }, stream_type: { type: 'string' }, detector: { type: 'string' },
    explanation: { type: 'string', description: 'The explanation of its first line' },
    count: { type: 'integer', description: 'Lines (findings) folded into it' }, max_score: { type: 'number' },
    first_ts: isoOrNull, last_ts: isoOrNull, first_detected_at: { type: 'string' }, last_detected_at: { type: 'string' },
    status: { type: 'string', enum: ['open', 'closed'], description: 'open while any of its lines is open' },
    samples: { type: 'array', items: anyJson, description: 'Its first lines (the events), in event time' },
    summary: { type: 'string', description: 'e.g. "47 lines like this between 10:02:11 and 10:02:19"' },
  },
  required: ['id', 'stream', 'stream_type', 'detector', 'explanation', 'count', 'max_score', 'first_detected_at', 'last_detected_at', 'status', 'samples', 'summary'],
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, stream: { type: 'string' }, stream_type: { type: 'string' }, timestamp: { type: 'string' },
    data: anyJson, metadata: anyJson, received_at: { type: 'string' },
  },
  required: ['id', 'stream', 'stream_type', 'timestamp', 'received_at'],
} as const;

export const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const anomalyJson = (r: AnomalyRow) => ({
  id: r.id, stream: r.stream, stream_type: r.stream_type, score: r.score, detector: r.detector, explanation: r.explanation,
  event: r.event, details: r.details, event_ts: iso(r.event_ts), detected_at: r.detected_at.toISOString(), status: r.status,
  resolved_at: iso(r.resolved_at), incident_id: r.incident_id,
});

const NUMBER_RE = /^-?(?:\d+|\d*\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * The app validates with coerceTypes off, so that a JSON body's `5` is not taken for `"5"`.
 * Query strings are all text, so a list route turns the numeric parameters its schema
 * declares into numbers before validation; anything else is left for the schema to refuse.
 */
export const coerceQueryNumbers = (querystring: { properties: Record<string, { type?: unknown }> }) => {
  const numeric = Object.freeze(Object.entries(querystring.properties)
    .filter(([, s]) => s.type === 'integer' || s.type === 'number').map(([k]) => k));
  return async function coerceQueryNumbers(req: { query: unknown }): Promise<void> {
    const q = req.query as Record<string, unknown>;
    for (const k of numeric) {
      const v = q[k];
      if (typeof v === 'string' && NUMBER_RE.test(v.trim())) q[k] = Number(v);
    }
  };
};

/** For POST routes whose body fields are all optional: no body at all means `{}`. */
export async function absentBodyIsEmpty(req: { body: unknown }): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}
