// Elasticsearch bulk (POST /_bulk, /{index}/_bulk): NDJSON action/source pairs ─► event records,
// one bulk item per action.
//
//   body ─► values counted (prescan, 413) ─► lines ─► per action line {"index"|"create"|"update"|"delete": {_index?, ...}}
//     index / create + its source line ─► candidate {timestamp, stream, data, metadata}
//     update (+ its line) / delete      ─► the item refused: DW_ERR_UNSUPPORTED_ACTION (events are never changed)
//   ─► acceptEach() (validateEvent: the native path's checks) ─► records + per-item status
//
// Mapping (README "Elasticsearch"):
//   stream    the item's `_index`, else the URL's index, less a trailing date (logstash-2026.12.05
//             ─► logstash): one stream per source, not per day; no index at all: the item is refused
//   the document, as a shipper's native record (map-fields.ts): data from message / msg / log /
//             body, timestamp from @timestamp / time / ts / date, every other field into metadata
//             (a document field named `stream`, as Filebeat's container input writes, too); a
//             document with none of the data fields is stored whole as data
// A malformed action line refuses the whole request (as Elasticsearch does); a malformed source
// line refuses only its item. Pure: no I/O.
import { DwError } from '../../src/core/errors.js';
import type { DecodeLimits } from './decode.js';
import { scanJson } from './prescan.js';
import { acceptEach, checkEventCount, type Candidate, type PushDecoded } from './push-events.js';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  readonly action: BulkAction;
  readonly index: string | undefined;
}

export interface BulkDecoded extends PushDecoded {
  /** Every action of the request, in order (the answer's `items`). */
  items: BulkItem[];
}

const ACTIONS: ReadonlySet<string> = new Set(['index', 'create', 'update', 'delete']);
const DATA_FIELDS = ['data', 'message', 'msg', 'log', 'body'];
const TS_FIELDS = ['timestamp', '@timestamp', 'time', 'ts', 'date'];
const DATED = /[-_.](?:\d{4}[._-]\d{2}(?:[._-]\d{2})?|\d{8})$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const malformed = (line: number, why: string): DwError => new DwError('DW_ERR_MALFORMED_BODY', `bulk line ${line}: ${why}`);

/** An index name as a stream key: a trailing date (-2026.12.05, -2026.12, _20261205) dropped. */
export const indexStream = (index: string): string => index.replace(DATED, '') || index;

/** A document ─► the object validateEvent() reads (the mapping at the top). */
function eventOf(doc: Record<string, unknown>, stream: string): Record<string, unknown> {
  const { stream: own, ...rest } = doc;
  if (!DATA_FIELDS.some((k) => rest[k] !== undefined)) {
    const ts = TS_FIELDS.find((k) => rest[k] !== undefined);
    return { timestamp: ts === undefined ? undefined : rest[ts], stream_type: 'logs', stream, data: doc };
  }
  const out: Record<string, unknown> = { ...rest, stream };
  if (own !== undefined) out.metadata = { stream: own, ...(isObject(rest.metadata) ? rest.metadata : {}) };
  return out;
}

function actionOf(text: string, line: number): { action: BulkAction; meta: Record<string, unknown> } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw malformed(line, `the action is not valid JSON (${(err as Error).message})`);
  }
  const keys = isObject(v) ? Object.keys(v) : [];
  if (keys.length !== 1 || !ACTIONS.has(keys[0])) throw malformed(line, 'expected one of {"index": {...}}, {"create": {...}}, {"update": {...}}, {"delete": {...}}');
  const meta = (v as Record<string, unknown>)[keys[0]];
  if (!isObject(meta)) throw malformed(line, `the ${keys[0]} action's metadata must be an object`);
  return { action: keys[0] as BulkAction, meta };
}

/** A bulk body ─► items, records and rejections. `urlIndex`: the index of /{index}/_bulk, or undefined. */
export function parseBulk(body: Uint8Array, urlIndex: string | undefined, limits: DecodeLimits, receivedAt: number): BulkDecoded {
  scanJson(body, limits, 'body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new DwError('DW_ERR_INVALID_UTF8');
  }
  const lines = text.split('\n');
  const items: BulkItem[] = [];
  const candidates: Candidate[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const { action, meta } = actionOf(lines[i], i + 1);
    const index = typeof meta._index === 'string' && meta._index !== '' ? meta._index : urlIndex;
    const n = items.length;
    checkEventCount(n + 1, limits);
    items.push({ action, index });
    if (action !== 'delete' && ++i >= lines.length) throw malformed(i, `the ${action} action has no source line`);
    if (action === 'update' || action === 'delete') {
      candidates.push({ index: n, error: new DwError('DW_ERR_UNSUPPORTED_ACTION', `item ${n}: ${action} (driftwatch stores events; it does not change or delete them)`, { index: n }) });
    } else if (index === undefined) {
      candidates.push({ index: n, error: new DwError('DW_ERR_INVALID_EVENT', `item ${n}: the index is missing (in the action or the URL)`, { index: n }) });
    } else {
      candidates.push(sourceCandidate(lines[i], n, indexStream(index)));
    }
  }
  const out = acceptEach(candidates, limits, receivedAt);
  for (const r of out.rejected) r.message = r.message.replace(/\bevent (\d+)\b/, 'item $1');
  return { ...out, items };
}

function sourceCandidate(line: string, n: number, stream: string): Candidate {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    return { index: n, error: new DwError('DW_ERR_INVALID_EVENT', `item ${n}: the document is not valid JSON (${(err as Error).message})`, { index: n }) };
  }
  if (!isObject(doc)) return { index: n, error: new DwError('DW_ERR_INVALID_EVENT', `item ${n}: the document must be a JSON object`, { index: n }) };
  return { index: n, raw: eventOf(doc, stream) };
}
