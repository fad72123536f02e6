// The byte budget of one log stream's detector state (issue 11: "state per log stream stays
// bounded"): what the engine checkpoints to PostgreSQL and hands from task to task, the logs
// state (logs.ts) and the session state (sessions.ts), whatever the lines.
//
//   per stream: 2 MiB ─┬─ templates 1.25 MiB: the miner's templates, their slot statistics,
//                      │               rate records and burst periods (templates.ts; least recently
//                      │               seen evicted with its records), and 60 KiB of it for the rate
//                      │               and period records of template families (logs-rate.ts: at most
//                      │               64, keys of at most 256 bytes, each key twice: f and fp),
//                      │               and 98 KiB for the value records of JSON fields (value-rate.ts)
//                      │               and 40 KiB for the actors' pairs of JSON records (logs-pairs.ts)
//                      │               and 6 KiB for the values seen in id-like slots (logs-known.ts)
//                      ├─ sessions 512 KiB: open sessions (oldest closed early) and the
//                      │               reference's profiles (rarest dropped) (sessions.ts)
//                      └─ text 256 KiB: the rest of the logs state (TEXT_BUDGET below)
//
//   text 256 KiB ─┬─ text detector (text.ts): baseline 32 KiB (its deflate dictionary stays
//                 │    16 KiB of UTF-8; this bounds the JSON, up to 6 bytes a character; oldest
//                 │    out), quarantine 40 KiB (least recently seen out), rings and template
//                 │    mix 12 KiB (fixed counts: 256 costs, 32 ratios, 256 + 128 shares, 64 KLs)
//                 ├─ prose detector (prose.ts): dictionary 24 KiB of JSON (and 12 KiB of UTF-8;
//                 │    oldest out), long tokens 6 KiB (oldest out), flagged texts remembered 6 KiB
//                 │    (prose-recur.ts), rare kinds 4 KiB (oldest out; prose-rare.ts), the run memory
//                 │    (8 pairs of numbers), nulls, segment nulls,
//                 │    lexicon, verbatim memory and rings 57 KiB (fixed counts: 7 × 512 and 12 × 256
//                 │    values of mostly under 7 characters, two 2 KiB Bloom filters, 1,024 keys of
//                 │    8 bytes as base64 (prose-seen.ts, 11.4 KB); 55.5 KB at most over 10,900
//                 │    texts of llm-shop and llm-code seeds 203-204; and the burst view's 32 kinds
//                 │    and 8 window entries, at most 2.75 KiB: prose-burst.ts)
//                 ├─ metadata fields 32 KiB, keys pooled per stream 40 KiB (field-table.ts: a
//                 │    new field while there is room; a field whose values would take the table
//                 │    over is left high-cardinality, its values dropped)
//                 └─ the stream's rate record (202 bytes), the value-burst ring (logs-repeat.ts: 24
//                      lines of 10 numbers, a time and 9 of at most 8 digits, about 2.2 KB) and the
//                      state's own keys 3 KiB
// An llm stream's state is the prose detector's alone (its 97 KiB above). The parts add up to
// their wholes (test/workers/budget-sum.unit.test.ts).
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
  /** The rest of the logs state: the text and prose detectors, metadata fields, pooled keys (TEXT_BUDGET). */
  text: 256 * 1024,
});

/**
 * A burst period record (rate-period.ts, PERIOD_LEN numbers) in JSON: 8 timestamps (the current
 * episode's start and last line, 6 past starts) and 8 counts, commas and brackets.
 */
export const PERIOD_RECORD_BYTES = 8 * 17 + 8 * 10 + 17;

/**
 * A template's burst period record in LogsState.rp with its key (an id of up to 10 digits in
 * quotes, a colon) and comma: added to the template's bytes when the record is created, at its
 * first burst (logs-rate.ts), so it counts in the template layer and leaves with its template.
 */
export const PERIOD_BYTES = 14 + PERIOD_RECORD_BYTES;

/**
 * The rate and period records of template families (logs-rate.ts), out of STATE_BUDGET.templates:
 * 64 × (a key of at most 256 bytes twice, with its colon and comma: 2 × 258; a rate record 202;
 * a period record PERIOD_RECORD_BYTES) = 60,864 bytes.
 */
export const FAMILY_BUDGET = 60 * 1024;

/**
 * The value records of JSON records' fields (value-rate.ts), out of STATE_BUDGET.templates: 256
 * records × (a key=value word of at most 130 bytes, its colon and comma, a record of
 * VALUE_RECORD_LEN = 22 numbers at the budget widths) and 64 keys with their count of values and
 * the time of their last new value: 99,827 bytes at their largest (test/workers/value-rate.unit.test.ts).
 * 96 KiB until 7 Dec 2026, when that test still counted 21 numbers a record.
 */
export const VALUE_BUDGET = 98 * 1024;

/**
 * The actors' pairs of JSON records (logs-pairs.ts), out of STATE_BUDGET.templates, bounded by
 * counts: 24 actors × (an actor word of at most 130 bytes with its quotes, colon and comma, 135;
 * 7 numbers of at most 17 characters, 126; 20 keys of 3 numbers of at most 10 characters, 660;
 * 64 value hashes of 10 digits, 704; brackets and names, 30) = 39,720 bytes.
 */
export const PAIR_BUDGET = 40 * 1024;

/**
 * The actors' networks (logs-partner.ts), out of STATE_BUDGET.templates, bounded by counts: 512
 * records × (a key of at most 7 base-36 characters with its quotes, colon and comma, 11; 12
 * numbers of at most 10 digits with their commas and brackets, 133) = 73,728 bytes, and 64 slot
 * names of at most 64 characters with their quotes, colon, a count of at most 2 digits and comma,
 * 70 each: 4,480 bytes; 78,208 in all.
 */
export const PARTNER_BUDGET = 77 * 1024;

/**
 * The values a stream has shown in its id-like slots (logs-known.ts, for the entity bursts), out
 * of STATE_BUDGET.templates: one fixed record of 2 + 2 × 256 + 32 + 2 numbers of at most 10 digits
 * (KNOWN_BYTES, 6,036 bytes).
 */
export const KNOWN_BUDGET = 6 * 1024;

/** The text side's parts (STATE_BUDGET.text), as counted in JSON bytes. */

export const TEXT_BUDGET = Object.freeze({
  /** text.ts: the baseline's lines (TEXT_PARAMS.baselineJsonBytes). */
  baseline: 32 * 1024,
  /** text.ts: the quarantine's entries (TEXT_PARAMS.quarantineBytes). */
  quarantine: 40 * 1024,
  /** text.ts: its rings and the template mix (mix.ts), bounded by counts. */
  textFixed: 12 * 1024,
  /** prose.ts: the dictionary's texts (PROSE_PARAMS.dictJsonBytes). */
  proseDict: 24 * 1024,
  /** prose.ts: the long tokens remembered (PROSE_PARAMS.tokenBytes; 32 tokens of at most 96 characters and a hash). */
  proseTokens: 6 * 1024,
  /** prose.ts: the texts flagged for their vocabulary (or last paragraph), remembered (PROSE_PARAMS.recurBytes; prose-recur.ts). */
  proseRecur: 6 * 1024,
  /** prose.ts: accepted texts of a rare kind, remembered (PROSE_PARAMS.rareBytes). */
  proseRare: 4 * 1024,
  /** prose.ts: nulls, segment nulls, lexicon, verbatim memory (prose-seen.ts), rings, bounded by counts. */
  proseFixed: 57 * 1024,
  /** logs.ts: metadata fields and keys pooled per stream (field-table.ts). */
  metadata: 32 * 1024,
  keys: 40 * 1024,
  /** logs.ts: the stream's rate record, silence and resolution marks, the state's keys. */
  other: 3 * 1024,
});

/** The UTF-8 bytes of a string as JSON writes it (quotes and escapes included), in one pass without serialising. */
export function jsonBytes(s: string): number {
  let b = 2;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (c >= 32) b += c === 34 || c === 92 ? 2 : 1;
      // \b \t \n \f \r; any other control character as \u00XX.
      else b += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    } else if (c < 0x800) b += 2;
    else if (c < 0xd800 || c > 0xdfff) b += 3;
    else if (c < 0xdc00 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      b += 4;
      i++;
    } else b += 6; // a lone surrogate, as \udXXX
  }
  return b;
}

/**
 * A template's bytes besides its text: its entry's id, last line and count (48), the key and
 * braces of its slot statistics' object (14), and its key and rate record (202: 16 numbers, two
 * timestamps, four gaps of at most a day, counts, means at 6 significant digits, the previous
 * window's count and mark; rate.ts).
 */
export const TEMPLATE_FIXED_BYTES = 48 + 14 + 202;

/** A field's statistics without its values and contexts (FieldStats: its keys, seven numbers), with the colon and comma after its name. */
export const FIELD_BYTES = 120;
/** A value in FieldStats.v besides its string: colon, count, comma. */
export const VALUE_BYTES = 12;
/** A context in FieldStats.c besides its string: colon, [sightings, location, spread], comma. */
export const CONTEXT_BYTES = 62;

/**
 * A template's episode record (logs-episodes.ts, EPISODE_LEN numbers) in JSON, with its key: 3
 * timestamps (its first line, its current episode's start and last line) of up to 17 characters,
 * 2 counts of up to 10 digits, a decayed count of up to 23 characters and its timestamp, commas,
 * brackets and the template id's key (up to 12 bytes with its quotes and colon).
 */
export const EPISODE_BYTES = 4 * 17 + 2 * 10 + 23 + 7 + 2 + 12;
