// A log line that is one JSON object ({"level":"info","msg":"order placed","amount":12.5,...},
// as structured loggers write it) as the template miner's input: its fields as key=value words
// in their order, nested objects as dotted keys (two levels), so that each field is a slot of
// its template (a currency, a status, a duration_ms) and the message words make the template.
// Without it a JSON line without spaces was one token: no slot was ever judged and the whole
// stream fell into a handful of templates split only at the spaces inside its messages.
// Anything else (not an object, not JSON): null, and the line is scanned as it is.

/** The fields of a one-line JSON object as `key=value` words, or null when the line is not one. */
export function jsonFields(text: string): string | null {
  const words = jsonWords(text);
  return words === null ? null : words.join(' ');
}

/**
 * jsonFields' words, one per field (a value may hold spaces), or null when the line is not a JSON
 * object with fields. `deep`, when given, receives the fields of the objects nested deeper than
 * the words go (up to DEEP levels: CloudTrail's userIdentity.sessionContext.sessionIssuer.userName),
 * as key=value words too.
 */
export function jsonWords(text: string, deep?: string[]): string[] | null {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(n - 1) !== 125 /* } */) return null;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  const words: string[] = [];
  flatten(o as Record<string, unknown>, '', words, 0, deep);
  return words.length === 0 ? null : words;
}

/** Nesting levels of the `deep` words. */
const DEEP = 5;

function flatten(o: Record<string, unknown>, prefix: string, words: string[], depth: number, deep?: string[]): void {
  for (const k of Object.keys(o)) {
    const v = o[k];
    const key = prefix + k.replace(/[\s=]+/g, '_');
    const nested = v !== null && typeof v === 'object' && !Array.isArray(v);
    if (nested && depth < 2) flatten(v as Record<string, unknown>, `${key}.`, words, depth + 1, deep);
    else {
      words.push(`${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      if (nested && deep !== undefined && depth < DEEP) flatten(v as Record<string, unknown>, `${key}.`, deep, depth + 1, depth + 1 < DEEP ? deep : undefined);
    }
  }
}

/**
 * A field whose value may state the record's severity: its level, its message, its error, status,
 * reason or outcome (the last segment of the key: `level`, `msg`, `errorCode`,
 * `responseStatus.message`, `outcome.result`, Docker's `log`), matched in part and case-blind.
 */
const SEVERITY_KEY = /(?:^|\.)[^.]*(?:level|lvl|severity|msg|message|err|exception|fault|stack|status|reason|outcome|result|log|text|body|detail|desc|summary)[^.]*$/i;

/**
 * A JSON record's severity view: the values of its severity fields (SEVERITY_KEY), one per line,
 * where the line's severity words are read (text-words.ts LineSeverity). A level token or a
 * failure word in another field is an input, not the record's state: CloudTrail's
 * FilterLogEvents carries `filterPattern=ERROR` (a person searching logs for errors), a query
 * names `error` in its text; read in the whole line they made routine calls error lines, and their
 * recurrences rare errors (cloud 201-210: 140 of 1,302 false alarms, branch cloud19). A record
 * with no such field has no severity.
 */
export function severityView(words: readonly string[]): string {
  let out = '';
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0 && SEVERITY_KEY.test(w.slice(0, eq))) out += (out === '' ? '' : '\n') + w.slice(eq + 1);
  }
  return out;
}
