// severityOf checks whether one of FAILURE_WORD's words can be in a line (FAILURE_HINT, without
// word boundaries) before running it (text-words.ts): a pure speed change, so its answer must be
// the plain regular expressions' on any text. Compared here on random texts built from those
// words in random case, their neighbours, other scripts' letters (ſ and the Kelvin sign fold to
// ASCII letters only under the u flag) and punctuation.
import { describe, expect, it } from 'vitest';
import { hasHighLevel, severityOf } from '../../workers/detectors/text.js';

const HIGH_LEVEL = /\b(FATAL|ERROR|SEVERE|CRIT(?:ICAL)?|EMERG|ALERT|PANIC|Fatal|Error|Severe|Critical|Panic)\b/;
const LOW_LEVEL = /\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|Trace|Debug|Info|Notice|Warn(?:ing)?)\b/;
const FAILURE_WORD = /\b(fatal|panic|segfault|\w*exception|traceback|fail(?:ed|ure|s)?|error|abort(?:ed)?|oom|killed)\b/i;

function plainSeverity(text: string): string {
  const hi = HIGH_LEVEL.exec(text);
  if (hi !== null) return hi[1].toLowerCase();
  if (LOW_LEVEL.test(text)) return '';
  const m = FAILURE_WORD.exec(text);
  return m === null ? '' : m[1].toLowerCase();
}

const WORDS = ['FATAL', 'ERROR', 'SEVERE', 'CRIT', 'CRITICAL', 'EMERG', 'ALERT', 'PANIC', 'fatal', 'panic', 'segfault', 'NullPointerException', 'exception', 'traceback', 'fail', 'failed', 'failure', 'fails', 'error', 'abort', 'aborted', 'oom', 'killed', 'INFO', 'WARN', 'DEBUG', 'room', 'errors', 'faible', 'Alerting', 'Sever', 'Crisp', 'Pa', 'Fa', 'Er', 'EM', 'AL', 'ſegfault', 'ſeveRE', 'Killed', 'K\u212aILLED', 'OoM', 'e', 'x'];
const GLUE = [' ', '', '_', '-', '=', ':', '.', '[', ']', '0', '7', 'é', 'ß', '\t', '/'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mixCase(w: string, r: () => number): string {
  let out = '';
  for (const ch of w) out += r() < 0.3 ? (r() < 0.5 ? ch.toUpperCase() : ch.toLowerCase()) : ch;
  return out;
}

describe('severity prefilter', () => {
  it('answers as the plain regular expressions on 20,000 random texts', () => {
    const r = rng(11);
    let severe = 0;
    for (let k = 0; k < 20_000; k++) {
      let text = '';
      const parts = 1 + Math.floor(r() * 6);
      for (let j = 0; j < parts; j++) {
        const w = WORDS[Math.floor(r() * WORDS.length)];
        text += (r() < 0.5 ? mixCase(w, r) : w) + GLUE[Math.floor(r() * GLUE.length)];
      }
      const want = plainSeverity(text);
      if (want !== '') severe++;
      expect(severityOf(text), text).toBe(want);
      expect(hasHighLevel(text), text).toBe(HIGH_LEVEL.test(text));
    }
    // Both kinds of text were drawn.
    expect(severe).toBeGreaterThan(2_000);
    expect(severe).toBeLessThan(18_000);
  });

  it.each([
    ['2026-01-01 12:00:00 ERROR db down', 'error'],
    ['Critical: disk full', 'critical'],
    ['kernel: Out of memory: Killed process 1234', 'killed'],
    ['java.lang.IllegalStateException: boom', 'illegalstateexception'],
    ['FA', ''],
    ['', ''],
    ['a room with a view', ''],
    ['the OOM killer', 'oom'],
    ['ſegfault at 0', ''],
  ])('%j → %j', (text, want) => {
    expect(severityOf(text)).toBe(want);
    expect(severityOf(text)).toBe(plainSeverity(text));
  });
});
