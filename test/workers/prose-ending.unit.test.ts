// How a free text ends (workers/detectors/prose-ending.ts, issue 11): a model's answer cut off
// mid-word by a token limit or a dropped connection, in a stream whose answers always end with a
// full stop or a closing fence. Before the ending statistic the detector missed such answers (the
// words of a cut answer are the stream's own): the scorer cases fail on the code before it.
import { describe, expect, it } from 'vitest';
import { endingClass, endingP, endingShare, ENDINGS, freshEndings, noteEnding } from '../../workers/detectors/prose-ending.js';
import { decodeProse, freshProse, PROSE_PARAMS, ProseScorer, scoreProse } from '../../workers/detectors/prose.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { textEvents } from './helpers.js';

describe('prose-ending: classes and estimate', () => {
  it('classifies the last character, trailing spaces dropped', () => {
    const cls = (t: string): string => ENDINGS[endingClass(t)];
    expect(['Done.', 'Really?', 'Wait…', '```', '| a | b |', '(see above)', 'お願いします。', 'شكرا؟', 'thanks 🙂', '', '  \n'].map(cls)).toEqual(Array(11).fill('finished'));
    expect(['go to Se', 'the téléch', '日本語', 'ok  \n', 'Привет', 'about 10', 'build 4f3a2'].map(cls)).toEqual(Array(7).fill('word'));
    expect(['steps:', 'first,', 'then -', 'and ('].map(cls)).toEqual(Array(4).fill('joiner'));
  });

  // Fails before branch prompt12 (a semicolon was a joiner wherever it stood): llm-code 201-210 had
  // 10 false alarms "ends unfinished, on a joiner" on prompts whose pasted SQL or React snippet ends the text.
  it('takes a semicolon that ends a text of several lines as finished (a statement, not a clause); one ending a line alone stays a joiner', () => {
    const cls = (t: string): string => ENDINGS[endingClass(t)];
    expect(cls('refactor this pls\nSELECT id, count(*)\nFROM users\nGROUP BY 1\nLIMIT 470;')).toBe('finished');
    expect(cls('any idea?\nuseEffect(() => {\n  load(page).then(setQuery);\n}, [page]);  \n')).toBe('finished');
    expect(cls('The refund was approved;')).toBe('joiner');
    expect(cls('first line\nthen,')).toBe('joiner');
  });

  it('estimates an unseen class of N texts at 1 / (2N + 3); halves the counts past their memory', () => {
    const c = freshEndings();
    for (let i = 0; i < 998; i++) noteEnding(c, 0, 4096);
    expect(endingP(c, 1)).toBeCloseTo(1 / 1999, 10);
    expect(endingShare(c, 1, 0.002)).toBeGreaterThan(1);
    expect(endingShare(c, 0, 0.002)).toBe(0);
    expect(endingShare(c, 1, 0)).toBe(0);
    noteEnding(c, 1, 4096);
    noteEnding(c, 1, 4096);
    // Two of a thousand: at the threshold's edge, no longer news.
    expect(endingShare(c, 1, 0.002)).toBeLessThan(1);
    const m = freshEndings();
    for (let i = 0; i < 20; i++) noteEnding(m, i % 2, 16);
    expect(m[0] + m[1]).toBeLessThanOrEqual(16);
    expect(Math.abs(m[0] - m[1])).toBeLessThanOrEqual(1);
  });
});

const OPEN = ['Sure.', 'Happy to help.', 'Here is how.', 'Good question.'];
const BODY = [
  'Open the staff portal and choose {a} from the menu on the left.', 'The request goes to your manager, who approves it within {n} working days.',
  'If the page does not load, clear the browser cache and sign in again.', 'Receipts older than {n} days need a short note explaining the delay.',
  'The laptop refresh happens every {n} months; you will get an email a week before.', 'Badges for the {a} office are printed at reception on weekdays.',
];
const SNIP = ['To check the disk from a terminal:\n\n```bash\ndf -h /\ndu -sh ~/Downloads\n```', 'To reset the proxy:\n\n```bash\nunset HTTPS_PROXY\nnetworksetup -setwebproxystate Wi-Fi off\n```'];

function answers(seed: number): () => string {
  const r = seeded(seed);
  const f = (t: string): string => t.replace('{n}', String(r.int(2, 30))).replace('{a}', r.pick(['Berlin', 'Lyon', 'Austin', 'Dublin']));
  return () => (r.chance(0.2) ? r.pick(SNIP) : [r.pick(OPEN), ...Array.from({ length: r.int(2, 4) }, () => f(r.pick(BODY)))].join(' '));
}

/** A long answer cut in its middle, mid-word. */
function cut(t: string): string {
  const i = t.indexOf(' ', Math.floor(t.length / 2));
  return t.slice(0, i + 3);
}

describe('prose detector: an answer cut off', () => {
  it('is found in a stream whose answers end finished; the whole answer is not', () => {
    const next = answers(3);
    const sc = new ProseScorer(freshProse());
    for (let i = 0; i < 600; i++) sc.feed(next());
    let whole = next();
    while (whole.length < 200 || whole.includes('```')) whole = next();
    const state = sc.save();
    const f = new ProseScorer(decodeProse(state)).feed(cut(whole));
    expect(f?.details.kind).toBe('ending');
    expect(f?.details.ending).toBe('word');
    expect(f?.explanation).toMatch(/^This text ends unfinished, on a word \("….+"\), where none of the 600 texts of the stream counted so far ended on one \(an estimated 0\.083% of its texts, under the 0\.20% taken as normal\)/);
    expect(new ProseScorer(decodeProse(state)).feed(whole)).toBeNull();
  });

  it('is no news where texts often end on a bare word (prompts), nor once cut texts became common', () => {
    const r = seeded(4);
    const next = answers(4);
    const sc = new ProseScorer(freshProse());
    // A fifth of the texts without a stop: a prompt stream.
    for (let i = 0; i < 600; i++) {
      const t = next();
      sc.feed(r.chance(0.2) && !t.endsWith('`') ? t.slice(0, -1) : t);
    }
    expect(sc.feed(cut('Open the staff portal and choose Lyon from the menu on the left, then the request form.'))?.details.kind).not.toBe('ending');
    // A stream of finished answers in which cut ones become common (a lower token limit): the first are news, later ones not.
    const sd = new ProseScorer(freshProse());
    const found: boolean[] = [];
    for (let i = 0; i < 1200; i++) {
      const t = next();
      const c = i >= 600 && i % 50 === 0;
      const f = sd.feed(c ? cut(`${t} ${t}`) : t);
      if (c) found.push(f?.details.kind === 'ending');
    }
    expect(found[0]).toBe(true);
    expect(found.slice(-4)).toEqual([false, false, false, false]);
  });

  it('keeps its counts in the state, the same whatever the batch split; an older state gains them; a malformed one is refused', () => {
    const next = answers(5);
    const lines = Array.from({ length: 400 }, () => next());
    lines[300] = cut(lines[300].length > 60 ? lines[300] : `${lines[300]} ${lines[300]}`);
    const texts = textEvents(lines);
    const whole = scoreProse(null, texts);
    let state: Uint8Array | null = null;
    const parts: number[] = [];
    for (let i = 0; i < texts.length; i += 37) {
      const o = scoreProse(state, texts.slice(i, i + 37));
      state = o.state;
      for (const f of o.findings) parts.push(i + f.index);
    }
    expect(parts).toEqual(whole.findings.map((f) => f.index));
    expect(Buffer.from(state as Uint8Array).equals(Buffer.from(whole.state))).toBe(true);
    const saved = JSON.parse(Buffer.from(whole.state).toString('utf8')) as Record<string, unknown>;
    expect((saved.ed as number[]).reduce((a, b) => a + b, 0)).toBe(400);
    delete saved.ed;
    const older = new ProseScorer(decodeProse(Buffer.from(JSON.stringify(saved))));
    older.feed('One more answer.');
    expect(older.s.ed).toEqual([1, 0, 0]);
    expect(() => decodeProse(Buffer.from(JSON.stringify({ ...saved, ed: [1, -1, 0] })))).toThrow(TypeError);
    expect(PROSE_PARAMS.endingP).toBeGreaterThan(0);
  });
});
