// The burst view of the free-text detector (workers/detectors/prose-burst.ts, issue 11): a run of
// answers that are each ordinary (a model refusing everything, in varied words) is found by how many
// of the last texts open alike against how often the stream's texts open so. Before the burst view
// the detector judged text by text and the scorer cases below found nothing (they fail on the code
// before it: no finding of kind 'burst').
import { describe, expect, it } from 'vitest';
import { freshBurst, judgeBurst, noteBurst, openingKey, poissonTail } from '../../workers/detectors/prose-burst.js';
import { decodeProse, freshProse, PROSE_PARAMS, ProseScorer, scoreProse } from '../../workers/detectors/prose.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';

describe('prose-burst: kinds, tail, window', () => {
  it('takes the first word, lower-cased, apostrophes kept', () => {
    expect(openingKey("I'm sorry, but I can't help with that request.", 16)).toBe("i'm");
    expect(openingKey('  **Sure!** here you go', 16)).toBe('sure');
    expect(openingKey('```bash\ndf -h\n```', 16)).toBe('bash');
    expect(openingKey('12 34 ...', 16)).toBe('');
    expect(openingKey('Internationalisation', 8)).toBe('internat');
  });

  it('sums the Poisson tail from k up', () => {
    expect(poissonTail(0, 3)).toBe(1);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(3, 0.16)).toBeCloseTo(1 - Math.exp(-0.16) * (1 + 0.16 + 0.0128), 12);
    // Far in the tail, where 1 − CDF would cancel to 0.
    expect(poissonTail(6, 1e-3) / (1e-18 / 720)).toBeCloseTo(1, 2);
  });

  it('judges a window of event time and of at most burstTexts texts; keeps the most frequent kinds', () => {
    const P = PROSE_PARAMS;
    const b = freshBurst();
    const kinds = ['sure', 'the', 'to', 'you', 'here', 'happy', 'your'];
    for (let i = 0; i < 400; i++) noteBurst(b, kinds[i % kinds.length], i * 15_000, true, P);
    const t0 = 400 * 15_000;
    for (let i = 0; i < 3; i++) noteBurst(b, "i'm", t0 + i * 15_000, false, P);
    const j = judgeBurst(b, "i'm", t0 + 45_000, P);
    expect(j).toMatchObject({ key: "i'm", count: 4, texts: 8, spanMs: 45_000 + 4 * 15_000 });
    expect(j?.s).toBeGreaterThan(P.uHalf.burst);
    // The same four, spread over more than burstMs: out of the window.
    expect(judgeBurst(b, "i'm", t0 + 45_000 + P.burstMs, P)).toBeNull();
    // Reported texts were not counted: the kind is still unknown to the history.
    expect(b.c.find((e) => e[0] === "i'm")).toBeUndefined();
    for (let i = 0; i < 200; i++) noteBurst(b, `kind${i}`, t0 + i, true, P);
    expect(b.c.length).toBeLessThanOrEqual(P.burstKeys);
    expect(b.w.length).toBe(P.burstTexts);
  });

  it('stays within 2.75 KiB of JSON (budget.ts: part of the prose state bounded by counts) whatever the openings', () => {
    const P = PROSE_PARAMS;
    const b = freshBurst();
    // Long openings of 3-byte letters, each new, with counts of many digits.
    for (let i = 0; i < 2000; i++) noteBurst(b, openingKey(`${String.fromCharCode(0xac00 + i)}${'ᄀ'.repeat(30)} x`, P.burstKeyChars), 1_791_196_079_471 + i * 7919, true, P);
    expect(b.c.length).toBe(P.burstKeys);
    expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(2.75 * 1024);
  });
});

const OPEN = ['Sure!', 'Happy to help.', 'Good question.', 'Here you go.', '', '', 'Of course.'];
const BODY = [
  'Open the staff portal and choose {a} from the menu on the left.', 'The request goes to your manager, who approves it within {n} working days.',
  'If the page does not load, clear the browser cache and sign in again.', 'Receipts older than {n} days need a short note explaining the delay.',
  'The laptop refresh happens every {n} months; you will get an email a week before.', 'Badges for the {a} office are printed at reception on weekdays.',
  'Your balance is shown under Time Off, updated on the {n}th of each month.', 'Travel to {a} is booked through the travel desk at least {n} days ahead.',
];
const BLANKET = ["I'm sorry, but I can't help with that request.", "I can't assist with that.", "I'm unable to provide that information.", "I'm not able to help with this. Is there something else I can do for you?", 'Sorry, that goes against my guidelines, so I can\'t help with it.'];

/** A workplace assistant's answers, 15 s apart on average, a refusal in 50: each refusal alone is ordinary here. */
function stream(seed: number, n: number, t0: number): { text: string; ts: number }[] {
  const r = seeded(seed);
  const f = (t: string): string => t.replace('{n}', String(r.int(2, 30))).replace('{a}', r.pick(['Berlin', 'Lyon', 'Austin', 'Dublin']));
  let ts = t0;
  return Array.from({ length: n }, () => {
    ts += Math.max(800, Math.round(r.exp(15_000)));
    const text = r.chance(0.02) ? r.pick(BLANKET) : [r.pick(OPEN), ...Array.from({ length: r.int(1, 3) }, () => f(r.pick(BODY)))].filter((x) => x !== '').join(' ');
    return { text, ts };
  });
}

describe('prose detector: a burst of near-identical answers', () => {
  const T0 = Date.UTC(2026, 9, 5, 7);
  const normal = stream(7, 800, T0);
  const r = seeded(8);
  const end = normal[normal.length - 1].ts;
  const burst = Array.from({ length: 8 }, (_, i) => ({ text: r.pick(BLANKET), ts: end + (i + 1) * 15_000 }));
  const after = stream(9, 40, burst[burst.length - 1].ts).map((x) => x);

  it('is reported in words once 4 of the last 8 texts open alike, where each text alone is ordinary', () => {
    const sc = new ProseScorer(freshProse());
    for (const e of normal) sc.feed(e.text, 0.5, e.ts);
    const state = sc.save();
    const found = burst.map((e) => sc.feed(e.text, 0.5, e.ts));
    // The view off (as before it): the same texts, text by text.
    const off = new ProseScorer(decodeProse(state), { ...PROSE_PARAMS, burstTexts: 0 });
    const before = burst.map((e) => off.feed(e.text, 0.5, e.ts));
    const flagged = (fs: unknown[]): number => fs.filter((f) => f !== null).length;
    expect(flagged(found)).toBeGreaterThanOrEqual(flagged(before) + 2);
    const f = found.find((x) => x?.details.kind === 'burst');
    expect(f?.explanation).toMatch(/^4 of the stream's last 8 texts \(in \d+ s\) open like this one \("i'm …"\), where usually [\d.]+% of its texts do \([\d.e-]+ expected among 8; p ≈ [\d.e-]+\): a burst of near-identical answers/);
    expect(f?.details).toMatchObject({ incident_key: "burst:i'm", opening: "i'm", count: 4, texts: 8 });
    // Each refusal alone, after the same history, is ordinary; the shortest too since branch shop14 (the
    // stream said it once, at its text 684, which vouches for it as a lone witness: its punctuation share,
    // u(characters) ≥ 0.5, kept the witness away before, where only pasted code's share of code symbols does now).
    expect(burst.filter((e) => new ProseScorer(decodeProse(state)).feed(e.text, 0.5, e.ts) !== null).map((e) => e.text)).toEqual([]);
  });

  it('is not reported while the refusals come spread out, one in 50 (the stream before the burst)', () => {
    const sc = new ProseScorer(freshProse());
    const kinds = normal.map((e) => sc.feed(e.text, 0.5, e.ts)?.details.kind ?? null);
    expect(normal.filter((e) => BLANKET.includes(e.text)).length).toBeGreaterThan(8);
    expect(kinds.filter((k) => k === 'burst')).toEqual([]);
  });

  it('gives the same findings and state whatever the batch split (event time only)', () => {
    const events: ScoreInput[] = [...normal, ...burst, ...after].map((e) => ({ ts: e.ts, text: e.text }));
    const one = scoreProse(null, events);
    const cut = 805;
    const a = scoreProse(null, events.slice(0, cut));
    const b = scoreProse(a.state, events.slice(cut));
    expect([...a.findings, ...b.findings.map((x) => ({ ...x, index: x.index + cut }))]).toEqual(one.findings);
    expect(Buffer.from(b.state).equals(Buffer.from(one.state))).toBe(true);
    expect(one.findings.some((x) => x.details.kind === 'burst')).toBe(true);
  });
});
