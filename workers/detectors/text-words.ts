// The words of a log line the text detector (text.ts) reads: its severity (an explicit level
// token, else a failure word) and its pattern's identity (skeleton: its runs of letters), kept
// apart from the detector for size.

// Severity of a raw line. An explicit level token decides (a WARN line that says "failed" is
// a warning; an INFO line about a corrected error is information); without one, words of
// failure in the message count.
const HIGH_LEVEL = /\b(FATAL|ERROR|SEVERE|CRIT(?:ICAL)?|EMERG|ALERT|PANIC|Fatal|Error|Severe|Critical|Panic)\b/;
const LOW_LEVEL = /\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|Trace|Debug|Info|Notice|Warn(?:ing)?)\b/;
const FAILURE_WORD = /\b(fatal|panic|segfault|\w*exception|traceback|fail(?:ed|ure|s)?|error|abort(?:ed)?|oom|killed)\b/i;

/**
 * The words of FAILURE_WORD without its word boundaries and its `\w*` before "exception" (which
 * tries every word of a line): a line without one of them has no failure word. A necessary
 * condition, about half the cost of FAILURE_WORD on Loghub's lines (80% of the lines that reach it
 * have none), so severityOf's answer is FAILURE_WORD's own.
 */
const FAILURE_HINT = /fatal|panic|segfault|exception|traceback|fail|error|abort|oom|killed/i;

/** True when the raw line's severity comes from an explicit high level token (FATAL, ERROR…). */
export function hasHighLevel(text: string): boolean {
  return HIGH_LEVEL.test(text);
}

/** The severity word of a raw line, lower-cased, or '' when the line is not severe. */
export function severityOf(text: string): string {
  return severityAfter(text, HIGH_LEVEL.exec(text));
}

/** severityOf given HIGH_LEVEL's match in the text (`hi`), which LineSeverity finds once for its three words. */
function severityAfter(text: string, hi: RegExpExecArray | null): string {
  if (hi !== null) return hi[1].toLowerCase();
  if (LOW_LEVEL.test(text)) return '';
  const m = FAILURE_HINT.test(text) ? FAILURE_WORD.exec(text) : null;
  return m === null ? '' : m[1].toLowerCase();
}

const WARN_LEVEL = /\b(WARN(?:ING)?|Warn(?:ing)?)\b/;

/**
 * The failure word of a warning that names a failure (an exception, "failed", "aborted"…),
 * lower-cased, or '' (no WARN level token, a high level, or no failure word). Spark, Hadoop and
 * many Java services log a lost task or a failed call at WARN: such a line is an error report at
 * warning level. It is no severity for the novelty prior (severityOf stays ''), but once its
 * pattern is flagged its recurrences are reported as a severe pattern's (text-quarantine.ts).
 */
export function warnedFailure(text: string): string {
  return warnedAfter(text, HIGH_LEVEL.test(text));
}

/** warnedFailure given whether the text has a high level token (`high`: HIGH_LEVEL's answer). */
function warnedAfter(text: string, high: boolean): string {
  if (high || !(WARN_LEVEL.test(text) || prioritySeverity(text) === WARN_PRIORITY)) return '';
  WARNED_FAILURE.lastIndex = 0;
  for (let m = WARNED_FAILURE.exec(text); m !== null; m = WARNED_FAILURE.exec(text)) {
    const end = m.index + m[0].length;
    // Not a failure: part of a flag or a name (`--fail-fast`, `failed_jobs`), a zero counter
    // (`failed=0`, `killed: 0`), or negated (`no error`, `without failures`, `0 failed`).
    if (JOINED.test(text.charAt(m.index - 1)) || JOINED.test(text.charAt(end))) continue;
    if (ZERO_AFTER.test(text.slice(end, end + 8))) continue;
    if (NEGATED_BEFORE.test(text.slice(Math.max(0, m.index - 10), m.index))) continue;
    return m[1].toLowerCase();
  }
  return '';
}

const PRI = /^<(\d{1,3})>/;

/**
 * The severity of a line's syslog priority (PRI mod 8), or -1 without one: 4 is a warning (a
 * kernel's `<4>`, a daemon's `<28>`: a WARN level token), 0-3 error or worse (`<3>`, `<27>`).
 */
function prioritySeverity(text: string): number {
  // Most lines do not begin with '<': no call of the expression.
  if (text.charCodeAt(0) !== 60) return -1;
  const m = PRI.exec(text);
  return m === null ? -1 : Number(m[1]) % 8;
}
const WARN_PRIORITY = 4;
const errorPriority = (severity: number): boolean => severity >= 0 && severity < WARN_PRIORITY;

/**
 * The level a line states: its first level token, upper-case or capitalised anywhere (INFO,
 * Warning, ERROR, FATAL…), or lower-case where a level is written (a JSON record's level field,
 * alone on its line of the severity view or as `"level":"warn"`; `level=`, `lvl=`, `severity=`; a
 * bracketed `[error]`;
 * the start of the line). A lower-case word elsewhere is the message's (`retryable error`).
 */
const STATED_LEVEL =
  /\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|SEVERE|FATAL|CRIT(?:ICAL)?|EMERG|ALERT|PANIC|Trace|Debug|Info|Notice|Warn(?:ing)?|Error|Severe|Fatal|Critical|Panic)\b|(?:^|\[|\b(?:level|lvl|severity)=|"(?:level|lvl|severity)":\s*")(trace|debug|info|notice|warn(?:ing)?|error|err|severe|fatal|crit(?:ical)?|emerg|alert|panic)(?=$|[\]\s,;:"])/m;
const ERROR_LEVEL = /^(?:err(?:or)?|severe|fatal|crit(?:ical)?|emerg|alert|panic)$/i;

/**
 * The level a raw line (or a JSON record's severity view) states, as a class: 'error' (an error
 * level or worse), 'warn', 'low' (trace to notice) or '' (none). A syslog priority decides when the
 * line has one; else the first level token (STATED_LEVEL): an INFO line whose message quotes
 * `503 Server Error` states INFO (hasHighLevel sees the `Error`).
 */
export function statedLevel(text: string): '' | 'low' | 'warn' | 'error' {
  const p = prioritySeverity(text);
  if (errorPriority(p)) return 'error';
  if (p === WARN_PRIORITY) return 'warn';
  const m = STATED_LEVEL.exec(text);
  if (m === null) return '';
  const w = m[1] ?? m[2];
  return ERROR_LEVEL.test(w) ? 'error' : /^warn/i.test(w) ? 'warn' : 'low';
}

/**
 * One raw line's severity words, each worked out once, on first use (severityOf, warnedFailure,
 * hasHighLevel): logs.ts and text.ts ask the same line's severity at several steps. `of(text)`
 * starts on a line; asked again for the same line, it keeps what it has worked out. `of(text,
 * view)`: the words are read in `view` (a JSON record's severity fields, json-line.ts
 * severityView), not in the whole line.
 */
export class LineSeverity {
  #text: string | undefined;
  /** What the severity words are read in: the line, or a JSON record's severity view (json-line.ts). */
  #src: string | undefined;
  #word: string | undefined;
  #warned: string | undefined;
  #high: boolean | undefined;
  /** HIGH_LEVEL's match in #src (null: none), found once for word, warned and the high level (undefined: not yet). */
  #hi: RegExpExecArray | null | undefined;
  #error: boolean | undefined;
  #stated: '' | 'low' | 'warn' | 'error' | undefined;

  of(text: string, view?: string): this {
    if (text !== this.#text) {
      this.#text = text;
      this.#src = view ?? text;
      this.#word = undefined;
      this.#warned = undefined;
      this.#high = undefined;
      this.#hi = undefined;
      this.#error = undefined;
      this.#stated = undefined;
    }
    return this;
  }

  /** Where the words are read: the line, or the JSON record's severity view given to of(). */
  get source(): string {
    return this.#src as string;
  }

  /** severityOf: the line's severity word, or ''. */
  get word(): string {
    return (this.#word ??= severityAfter(this.#src as string, this.#highMatch()));
  }

  /** warnedFailure: the failure word of a warning that names one, or ''. */
  get warned(): string {
    return (this.#warned ??= warnedAfter(this.#src as string, this.#highLevel()));
  }

  /**
   * An explicit high level token (hasHighLevel) or a warning that names a failure with a WARN
   * token. A warning by its syslog priority alone is not high (the severity prior of text.ts): a
   * mail server's `<20>` "SASL LOGIN authentication failed" from the internet's password guessers
   * is its routine; its pattern, once flagged, still recurs as a severe one's (warned). The WARN
   * token is read where the other words are (a JSON record's severity view): a `Warning` in its
   * route or another input field is no level.
   */
  get high(): boolean {
    return (this.#high ??= this.#highLevel() || (this.warned !== '' && WARN_LEVEL.test(this.#src as string)));
  }

  /**
   * Whether the line states an error level explicitly: a syslog priority of error or worse, or a
   * high level token (ERROR, FATAL, CRIT…, and a capitalised `Error`: hasHighLevel). A lower-case
   * failure word in the message (`failed`, `error`) is not one: routine lines name errors too
   * (`0 errors`, `retrying after error`).
   */
  get error(): boolean {
    return (this.#error ??= errorPriority(prioritySeverity(this.#src as string)) || this.#highLevel());
  }

  /** statedLevel: the level the line states ('error', 'warn', 'low' or ''). */
  get stated(): '' | 'low' | 'warn' | 'error' {
    return (this.#stated ??= statedLevel(this.#src as string));
  }

  #highLevel(): boolean {
    return this.#highMatch() !== null;
  }

  /** HIGH_LEVEL.exec of the source, once per line (it has no g flag: exec and test keep no state between calls). */
  #highMatch(): RegExpExecArray | null {
    if (this.#hi === undefined) this.#hi = HIGH_LEVEL.exec(this.#src as string);
    return this.#hi;
  }

  /**
   * A routine line: no severity word and no warning that names a failure. Its novelty is learnt,
   * not reported, while the stream settles (TextScorer.young(ts, 'settle'), TextScorer.routine; logs.ts drops its novelty findings).
   */
  get routine(): boolean {
    return this.word === '' && this.warned === '';
  }
}

/**
 * The failure words of a warning: FAILURE_WORD's, and a peer or a call that stopped answering
 * ("timed out", "not responding": a kernel's `nfs: server nas-01 not responding, timed out`, a
 * warning that is an error report). Only with a warning level: without one (severityOf) they stay
 * no severity, as a routine line's "connection timed out, retrying" is.
 */
const WARNED_FAILURE = /\b(fatal|panic|segfault|\w*exception|traceback|fail(?:ed|ure|s)?|error|abort(?:ed)?|oom|killed|timed out|not responding)\b/gi;
const JOINED = /^[-_]$/;
const ZERO_AFTER = /^\s*[=:]\s*0(?![\d.])/;
const NEGATED_BEFORE = /(?:^|[^\w])(?:no|not|without|zero|0)\s+$/i;

/**
 * A pattern's identity for recurrence counting: the normalised line without class tokens,
 * digits and punctuation, so variants of one message (other paths, hosts, counts) count as
 * the same pattern: its runs of at least three ASCII letters, outside class tokens
 * (<[A-Z]+\d*>), joined by single spaces. One pass over char codes (the same output as
 * replacing /<[A-Z]+\d*>/g, /[^A-Za-z]+/g and /(?:^| )[A-Za-z]{1,2}(?= |$)/g by a space, then
 * collapsing spaces and trimming: test/workers/normalise.unit.test.ts).
 */
export function skeleton(line: string, max: number): string {
  return skeletonOf(line, 0, line.length, max);
}

/** skeleton(line.slice(from, to), max), without the slice. */
function skeletonOf(line: string, from: number, to: number, max: number): string {
  let k = '';
  const n = to;
  let i = from;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 60 /* < */) {
      // A class token: upper-case letters, digits, '>'.
      let j = i + 1;
      while (j < n && line.charCodeAt(j) >= 65 && line.charCodeAt(j) <= 90) j++;
      if (j > i + 1) {
        while (j < n && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
        if (j < n && line.charCodeAt(j) === 62 /* > */) {
          i = j + 1;
          continue;
        }
      }
      i++;
      continue;
    }
    if (isAsciiLetter(c)) {
      let j = i + 1;
      while (j < n && isAsciiLetter(line.charCodeAt(j))) j++;
      if (j - i >= 3) k += k === '' ? line.slice(i, j) : ` ${line.slice(i, j)}`;
      i = j;
      continue;
    }
    i++;
  }
  return k.length > max ? k.slice(0, max) : k;
}

/**
 * A quarantined pattern's identity (text.ts): the skeleton of the line's words outside tokens
 * that hold a number or a class token (<N3>, <IP>…). Such a token is a variable to the template
 * miner (templates.ts masks every token with a digit), and the words inside it vary
 * independently of the message: a thread name (nio-8080-exec-7, scheduling-1), a user agent
 * (python-requests/2.32.3), a query (/search?q=tent&page=2), a versioned path. Counted in the
 * key, they split one message into a pattern per combination, each rare, so a routine line kept
 * coming back as "still rare" (svc: an Envoy route's usual 503s and 504s, one pattern per user
 * agent and query). text.ts uses it for lines without a severity word. A line whose words are
 * all in such tokens keeps its full skeleton (an empty key would join unrelated lines).
 */
export function patternKey(line: string, max: number): string {
  let k = '';
  const n = line.length;
  let i = 0;
  while (i < n) {
    // One whitespace-delimited token: [i, j).
    let j = i;
    let variable = false;
    while (j < n && line.charCodeAt(j) !== 32) {
      const c = line.charCodeAt(j);
      if (c >= 48 && c <= 57) variable = true;
      else if (c === 60 /* < */ && isClassToken(line, j)) variable = true;
      j++;
    }
    if (!variable && j > i) {
      const w = skeletonOf(line, i, j, max);
      if (w !== '') k += k === '' ? w : ` ${w}`;
      if (k.length >= max) return k.slice(0, max);
    }
    i = j + 1;
  }
  return k === '' ? skeleton(line, max) : k;
}

/** Whether a class token (<[A-Z]+\d*>) starts at line[i] ('<'). */
function isClassToken(line: string, i: number): boolean {
  const n = line.length;
  let j = i + 1;
  while (j < n && line.charCodeAt(j) >= 65 && line.charCodeAt(j) <= 90) j++;
  if (j === i + 1) return false;
  while (j < n && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
  return j < n && line.charCodeAt(j) === 62;
}

function isAsciiLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

