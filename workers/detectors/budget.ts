// The byte budget of one log stream's detector state (issue 11: "state per log stream stays
// bounded"): what the engine checkpoints to PostgreSQL and hands from task to task, the logs
// state (logs.ts) and the session state (sessions.ts), whatever the lines.
//
//   per stream: 2 MiB ─┬─ templates 1.25 MiB: the miner's templates, their slot statistics and
//                      │               rate records (templates.ts; least recently seen evicted)
//                      ├─ sessions 512 KiB: open sessions (oldest closed early) and the
//                      │               reference's profiles (rarest dropped) (sessions.ts)
//                      └─ the rest, bounded by counts and lengths: text baseline 16 KiB and
//                         quarantine, template mix, prose, metadata fields, pooled keys
//
// Bytes are accounted as entries are added or dropped, never by serialising per line: an
// entry's strings by jsonBytes() (their exact JSON bytes), its numbers at the widths below (an
// upper bound for timestamps of up to 17 characters, counts of up to 10 digits, floats of up to
// 23 characters). The
// accounted bytes are a function of the state alone, so a stream scored in one task or many, by
// a live scorer or from its checkpoint, evicts the same entries at the same lines.

export const STATE_BUDGET = Object.freeze({
  /** The whole state of one log stream: logs state + session state. */
  stream: 2 * 1024 * 1024,
  /** The template layer (MINER_PARAMS.maxBytes). */
  templates: 1280 * 1024,
  /** The session tracker's open sessions and reference profiles (SESSION_PARAMS.maxBytes). */
  sessions: 512 * 1024,
});

/** The UTF-8 bytes of a string as JSON writes it (quotes and escapes included). */
export function jsonBytes(s: string): number {
  // Printable ASCII without quote or backslash (nearly every token): its length and the quotes.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return Buffer.byteLength(JSON.stringify(s));
  }
  return s.length + 2;
}

/**
 * A template's bytes besides its text: its entry's id, last line and count (48), the key and
 * braces of its slot statistics' object (14), and its key and rate record (190: 14 numbers, two
 * timestamps, four gaps of at most a day, counts, means at 6 significant digits; rate.ts).
 */
export const TEMPLATE_FIXED_BYTES = 48 + 14 + 190;

/** A field's statistics without its values and contexts (FieldStats: its keys, seven numbers), with the colon and comma after its name. */
export const FIELD_BYTES = 120;
/** A value in FieldStats.v besides its string: colon, count, comma. */
export const VALUE_BYTES = 12;
/** A context in FieldStats.c besides its string: colon, [sightings, location, spread], comma. */
export const CONTEXT_BYTES = 62;
