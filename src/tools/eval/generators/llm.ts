// Generator `llm`: a support assistant's user prompts, several interleaved `llm` streams, with
// labelled anomalies planted among them.
//
//   seed ─► seeded() ─► per stream: N prompts = opener + request template + closer, every {a|b}
//           alternative and {slot} (product, order number, amount, name, date, city…) drawn afresh
//        ─► anomalies at random positions after the first WARMUP prompts of each stream:
//             prompt_injection, foreign_language, encoded_blob, pasted_code, token_flood (one prompt
//             each) and topic_drift (a window of 12–24 off-topic prompts)
//        ─► streams merged by timestamp ─► events + labels {anomalous, kinds}
//
// Benign novelty on every normal prompt: fresh order numbers, amounts, dates, e-mails, codes, and
// wording (synonyms, optional greetings and sign-offs, case and punctuation habits, two requests
// in one prompt). Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { plantKinds, seeded, type Random } from './random.js';
import * as W from './llm-words.js';

const START = Date.UTC(2026, 10, 2, 8, 0, 0);
/** Prompts per stream before the first anomaly (the detector's warm-up is shorter). */
const WARMUP = 200;
/** Fewest prompts between two planted anomalies of one stream. */
const SPACING = 30;

interface StreamPlan { name: string; prompts: number; gapS: number; perKind: number }
const STREAMS: readonly StreamPlan[] = [
  { name: 'support-web', prompts: 1600, gapS: 20, perKind: 2 },
  { name: 'support-app', prompts: 1100, gapS: 30, perKind: 1 },
  { name: 'support-b2b', prompts: 800, gapS: 45, perKind: 1 },
];

export const LLM_KINDS = ['prompt_injection', 'foreign_language', 'encoded_blob', 'pasted_code', 'token_flood', 'topic_drift'] as const;
export type LlmKind = (typeof LLM_KINDS)[number];

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function slot(r: Random, name: string): string | undefined {
  switch (name) {
    case 'product': return r.pick(W.PRODUCTS);
    case 'order': {
      const f = r.int(0, 3);
      return f === 0 ? `#${r.int(1_000_000, 9_999_999)}` : f === 1 ? `A-${r.int(10_000, 99_999)}${r.pick(['X', 'K', 'Q', 'M'])}` : f === 2 ? `${r.int(1000, 9999)}-${r.int(1000, 9999)}` : String(r.int(100_000, 999_999));
    }
    case 'amount': {
      const v = r.chance(0.5) ? `${r.int(5, 499)}.${pad(r.int(0, 99), 2)}` : String(r.int(5, 900));
      return r.pick([`$${v}`, `€${v}`, `${v} EUR`, `£${v}`, `${v} dollars`]);
    }
    case 'date': {
      const f = r.int(0, 3);
      return f === 0 ? `${r.pick(W.MONTHS)} ${r.int(1, 28)}` : f === 1 ? `last ${r.pick(W.WEEKDAYS)}` : f === 2 ? `2026-${pad(r.int(1, 11), 2)}-${pad(r.int(1, 28), 2)}` : `${r.int(1, 12)}/${r.int(1, 28)}`;
    }
    case 'days': return String(r.int(2, 21));
    case 'city': return r.pick(W.CITIES);
    case 'carrier': return r.pick(W.CARRIERS);
    case 'payment': return r.pick(W.PAYMENT);
    case 'problem': return r.pick(W.PROBLEMS);
    case 'name': return r.pick(W.NAMES);
    case 'email': return `${r.pick(W.NAMES).toLowerCase()}${r.chance(0.5) ? '.' + r.hex(3) : r.int(1, 99)}@${r.pick(['gmail.com', 'outlook.com', 'example.org', 'mail.de', 'yahoo.com'])}`;
    case 'code': return `${r.pick(['SAVE', 'WINTER', 'WELCOME', 'VIP', 'FREESHIP', 'BLACKFRIDAY'])}${r.chance(0.5) ? '-' : ''}${r.int(5, 50)}`;
    case 'year': return String(r.int(1970, 2022));
    default: return undefined;
  }
}

/** Expands {a|b|c} alternatives and {slot}s, innermost first. */
export function fill(r: Random, template: string): string {
  let s = template;
  for (let guard = 0; guard < 50; guard++) {
    const next = s.replace(/\{([^{}]*)\}/, (_m, body: string) => {
      if (body.includes('|')) return r.pick(body.split('|'));
      return slot(r, body) ?? body;
    });
    if (next === s) break;
    s = next;
  }
  return s;
}

function normalPrompt(r: Random): string {
  let core = fill(r, r.pick(W.REQUESTS));
  if (r.chance(0.15)) core += ` ${r.pick(['Also', 'And', 'One more thing:', 'Btw'])} ${lowerFirst(fill(r, r.pick(W.REQUESTS)))}`;
  let p = r.pick(W.OPENERS);
  p += p === '' ? upperFirst(core) : lowerFirst(core);
  p += r.pick(W.CLOSERS);
  if (r.chance(0.12)) p = p.toLowerCase();
  if (r.chance(0.1)) p = p.replace(/[.?!]+$/, '');
  if (r.chance(0.05)) p = p.replace(/\?$/, '??');
  return p;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function blob(r: Random): string {
  const f = r.int(0, 2);
  let body: string;
  if (f === 0) {
    const n = r.int(20, 100) * 4;
    body = '';
    for (let i = 0; i < n; i++) body += B64[r.int(0, 63)];
    body += r.pick(['', '=', '==']);
  } else if (f === 1) {
    body = r.hex(r.int(32, 128) * 2);
  } else {
    const seg = (n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += B64[r.int(0, 61)]; return s; };
    body = `eyJ${seg(r.int(20, 40))}.${seg(r.int(40, 120))}.${seg(r.int(30, 43))}`;
  }
  return r.chance(0.4) ? `${r.pick(['Please decode this:', 'what does this mean', 'My order token is', 'Error payload:'])} ${body}` : body;
}

function flood(r: Random): string {
  const word = r.pick(W.FLOOD_WORDS);
  const sep = r.pick([' ', ' ', ', ', '! ', ' ']);
  const n = r.int(15, 120);
  const body = Array.from({ length: n }, () => word).join(sep);
  return r.chance(0.3) ? `${normalPrompt(r)} ${body}` : body;
}

function anomaly(r: Random, kind: Exclude<LlmKind, 'topic_drift'>): string {
  switch (kind) {
    case 'prompt_injection':
      return r.chance(0.7) ? fill(r, r.pick(W.INJECTIONS)) : normalPrompt(r) + fill(r, r.pick(W.INJECTION_TAILS));
    case 'foreign_language': return fill(r, r.pick(W.FOREIGN));
    case 'encoded_blob': return blob(r);
    case 'pasted_code': return r.pick(W.CODE).replaceAll('{order}', String(r.int(100_000, 999_999)));
    case 'token_flood': return flood(r);
  }
}

export function generateLlm(seed: number): GeneratedSet {
  const r = seeded(seed);
  const rows: { ts: number; ev: GeneratedEvent; kind?: LlmKind }[] = [];
  for (const s of STREAMS) {
    const planted = plantKinds(r, LLM_KINDS, s.perKind, s.prompts, { kind: 'topic_drift', min: 12, max: 24 }, WARMUP, SPACING);
    let ts = START + r.int(0, 60_000);
    for (let i = 0; i < s.prompts; i++) {
      ts += Math.max(1000, Math.round(r.exp(s.gapS * 1000)));
      const p = planted.find((x) => i >= x.at && i < x.at + x.length);
      let text: string;
      if (p === undefined) text = normalPrompt(r);
      else if (p.kind === 'topic_drift') text = fill(r, r.pick(W.OFF_TOPIC));
      else text = anomaly(r, p.kind);
      rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: s.name, stream_type: 'llm', data: text }, ...(p === undefined ? {} : { kind: p.kind }) });
    }
  }
  // Stable merge by time (ties keep stream order).
  return labelledSet(rows);
}

export const llmGenerator: Generator = {
  describe: 'a support assistant\'s user prompts (3 interleaved llm streams) with prompt injections, other languages, encoded blobs, pasted code, token floods and topic drift',
  generate: generateLlm,
};
