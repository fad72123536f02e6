// Lenient mapping: a shipper's native record ──► the five fields validateEvent() checks.
//
//   {message, @timestamp, host, level, ...}  ──► mapFields() ──►  {timestamp, stream_type, data, metadata, stream}
//
// Pure. The rules (README "Events"), each applied only when the field itself is absent:
//   data        ◄ the first of message, msg, log, body
//   timestamp   ◄ the first of @timestamp, time, ts, date (none: the receive time, chosen by the caller)
//   stream_type ◄ "metrics" when data is a number, else "logs"
//   metadata    ◄ every other top-level field, merged under the event's own metadata (which wins)
//   stream      ◄ `${stream_type}:${name}` with name the first non-empty string of service.name
//                 (flat key or nested), service, app, source, host, in metadata or top level;
//                 else `${stream_type}:default`
// A field taken from an alias is not also copied into metadata.

const DATA_ALIASES = ['message', 'msg', 'log', 'body'] as const;
const TS_ALIASES = ['@timestamp', 'time', 'ts', 'date'] as const;
const STREAM_SOURCES = ['service.name', 'service', 'app', 'source', 'host'] as const;
const OWN = new Set(['timestamp', 'stream_type', 'data', 'metadata', 'stream']);

export interface MappedEvent {
  timestamp: unknown;
  streamType: unknown;
  data: unknown;
  /** The event's metadata with the extra top-level fields merged in; undefined/null when there is none. */
  metadata: unknown;
  /** The explicit `stream`, if the event had one. */
  stream: unknown;
  /** The name for a derived stream key (service.name, service, app, source or host), or 'default'. */
  sourceName: string;
}

const has = (o: Record<string, unknown>, k: string): boolean => Object.hasOwn(o, k) && o[k] !== undefined;

/** The first of `keys` present in `e`, or undefined. */
function firstKey(e: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) if (has(e, k)) return k;
  return undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** The first non-empty string among the stream-naming keys of one object. */
function nameIn(o: Record<string, unknown>): string | undefined {
  for (const k of STREAM_SOURCES) {
    let v = o[k];
    if (k === 'service.name' && v === undefined && isPlainObject(o.service)) v = o.service.name;
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

export function mapFields(e: Record<string, unknown>): MappedEvent {
  // The aliases taken (at most one for data, one for the timestamp): not copied into metadata.
  const dataKey = has(e, 'data') ? undefined : firstKey(e, DATA_ALIASES);
  const tsKey = has(e, 'timestamp') ? undefined : firstKey(e, TS_ALIASES);
  const data = dataKey === undefined ? e.data : e[dataKey];
  const timestamp = tsKey === undefined ? e.timestamp : e[tsKey];
  const streamType = has(e, 'stream_type') ? e.stream_type : typeof data === 'number' ? 'metrics' : 'logs';
  let extra: Record<string, unknown> | undefined;
  for (const k in e) {
    if (!Object.hasOwn(e, k) || OWN.has(k) || k === dataKey || k === tsKey || e[k] === undefined) continue;
    (extra ??= {})[k] = e[k];
  }
  let metadata: unknown = e.metadata;
  if (extra !== undefined) metadata = isPlainObject(metadata) ? { ...extra, ...metadata } : metadata ?? extra;
  const sourceName = (isPlainObject(metadata) ? nameIn(metadata) : undefined) ?? 'default';
  return { timestamp, streamType, data, metadata, stream: e.stream, sourceName };
}
