// bench/state-size's hostile cases for the text side of a log stream's state (issue 11: "state
// per log stream stays bounded"): the parts outside the template layer and the sessions, the
// text detector's baseline and quarantine, the prose detector's dictionary and long tokens, the
// metadata fields and the keys pooled per stream; and an llm stream's prose state. Each case is
// what varied or hostile input can put in one part: lines of JSON-escaped characters (6 bytes of
// state per character), every line new prose, patterns that become common with long lines, long
// metadata and key names, long metadata values.
import type { ScoreInput } from '../workers/types.js';
import { letterWord, prng } from '../src/tools/demo/synthetic.js';

const T0 = 1_700_000_000_000;

/** n characters that JSON escapes (control characters, quotes, backslashes: up to 6 bytes each in the state). */
export function escapes(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 10);
    s += k < 7 ? String.fromCharCode(1 + Math.floor(r() * 8)) : k < 9 ? '"' : '\\';
  }
  return s;
}

/** n words never seen (letters only, 5-7 letters). */
function newWords(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(letterWord(1e6 + Math.floor(r() * 3e9)));
  return w.join(' ');
}

/** Lines of escaped characters only: each joins the text detector's baseline (its dictionary of recent distinct lines). */
export function* escapedLines(): Iterable<ScoreInput> {
  const r = prng(21);
  for (let i = 0; i < 3000; i++) yield { ts: T0 + i * 100, text: `${escapes(r, 600)}` };
}

/** Every line prose of words never seen (the prose detector's dictionary, vocabulary, long tokens). */
export function* uniqueProse(): Iterable<ScoreInput> {
  const r = prng(22);
  for (let i = 0; i < 20_000; i++) {
    const tail = i % 50 === 0 ? ` ${escapes(r, 90)}x` : '';
    yield { ts: T0 + i * 100, text: `${newWords(r, 12 + (i % 9))}${tail}` };
  }
}

/**
 * Error patterns that are flagged, quarantined, then come often enough to become common: each
 * keeps the line it was accepted with (2 KiB of escaped characters) in its quarantine entry.
 */
export function* commonPatterns(): Iterable<ScoreInput> {
  const r = prng(23);
  let i = 0;
  for (; i < 300; i++) yield { ts: T0 + i * 100, text: `INFO worker=${letterWord(i % 7)} job=${i} status=done ms=${i % 90}` };
  for (let p = 0; p < 48; p++) {
    const words = `${letterWord(5000 + p * 3)} ${letterWord(7000 + p * 5)} ${letterWord(9000 + p * 7)}`;
    for (let k = 0; k < 160; k++, i++) yield { ts: T0 + i * 100, text: `ERROR ${words} failed ${escapes(r, 2100)}` };
  }
}

/** Lines that each make a new quarantine key as long as the quarantine keeps (512 characters of words). */
export function* newKeys(): Iterable<ScoreInput> {
  const r = prng(24);
  let i = 0;
  for (; i < 300; i++) yield { ts: T0 + i * 100, text: `INFO worker=${letterWord(i % 7)} job=${i} status=done ms=${i % 90}` };
  for (let k = 0; k < 3000; k++, i++) yield { ts: T0 + i * 100, text: `ERROR ${newWords(r, 90).replace(/ /g, '/')}` };
}

/** The first lines carry one metadata field each with a 32 KiB name; ordinary lines follow. */
export function* metadataNames(): Iterable<ScoreInput> {
  const r = prng(25);
  for (let i = 0; i < 3000; i++) {
    const metadata: Record<string, unknown> = { region: ['eu', 'us'][i % 2] };
    if (i < 40) metadata[`${letterWord(i)}_${newWords(r, 5000).replace(/ /g, '_')}`.slice(0, 32_768)] = 'x';
    yield { ts: T0 + i * 100, text: `INFO request served in ${i % 90} ms`, metadata };
  }
}

/** 32 metadata fields, each taking 16 values of 64 escaped characters (the longest value judged). */
export function* metadataValues(): Iterable<ScoreInput> {
  const r = prng(26);
  const values = Array.from({ length: 16 }, () => escapes(r, 64));
  for (let i = 0; i < 3000; i++) {
    const metadata: Record<string, unknown> = {};
    for (let f = 0; f < 32; f++) metadata[`field${f}`] = values[(i + f) % 16];
    yield { ts: T0 + i * 100, text: `INFO request served in ${i % 90} ms`, metadata };
  }
}

/**
 * 64 keyed slots (name=value, names of escaped characters, as long as a template keeps) over
 * templates of their own, each key taking 16 values, 12 of them 64 escaped characters: the keys pooled per
 * stream (their names and values are kept whatever becomes of the templates).
 */
export function* keyValues(): Iterable<ScoreInput> {
  const r = prng(27);
  let i = 0;
  for (let k = 0; k < 64; k++) {
    const name = `${letterWord(k + 30)}${escapes(r, 30).split('\u0001').join('')}`;
    for (let j = 0; j < 40; j++, i++) yield { ts: T0 + i * 100, text: `INFO applied ${letterWord(k * 3)} ${letterWord(k * 3 + 1)} ${letterWord(k * 3 + 2)} ${name}=${j % 4}` };
    const values = Array.from({ length: 12 }, (_, v) => `${v % 10}${escapes(r, 63)}`);
    for (let j = 0; j < 32; j++, i++) yield { ts: T0 + i * 100, text: `INFO applied ${letterWord(k * 3)} ${letterWord(k * 3 + 1)} ${letterWord(k * 3 + 2)} ${name}=${values[j % 12]}` };
  }
  for (let j = 0; j < 500; j++, i++) yield { ts: T0 + i * 100, text: `INFO request=served ms=${j % 90}` };
}

/** An llm stream of texts with huge vocabularies (every word new), escaped characters and long tokens. */
export function* llmVocabulary(): Iterable<ScoreInput> {
  const r = prng(28);
  for (let i = 0; i < 4000; i++) {
    const blob = i % 3 === 0 ? ` ${escapes(r, 120)}` : '';
    yield { ts: T0 + i * 1000, text: `${newWords(r, 150 + (i % 200))} ${escapes(r, 300)}${blob}` };
  }
}

/** The hostile cases of the text side: name, stream type, lines. */
export const TEXT_CASES: [string, 'logs' | 'llm', () => Iterable<ScoreInput>][] = [
  ['hostile_escaped_baseline', 'logs', escapedLines],
  ['hostile_unique_prose', 'logs', uniqueProse],
  ['hostile_common_patterns', 'logs', commonPatterns],
  ['hostile_quarantine_keys', 'logs', newKeys],
  ['hostile_metadata_names', 'logs', metadataNames],
  ['hostile_metadata_values', 'logs', metadataValues],
  ['hostile_key_values', 'logs', keyValues],
  ['hostile_llm_vocabulary', 'llm', llmVocabulary],
];
