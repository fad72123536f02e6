// Generator `llm-dev`: a second llm generator in another style than `llm` (a support assistant's
// prompts from request templates): an internal data and coding assistant. Two prompt streams and
// one stream of the assistant's answers, with labelled anomalies planted among them.
//
//   seed ─► seeded() ─► per prompt: 1-4 clauses (asks, context, snippets, lists) composed from
//           pieces, lengths from 3 words to several paragraphs, code-like identifiers, numbers,
//           names and benign loanwords, typos, case habits
//        ─► per answer: an opening, 1-3 paragraphs, sometimes a numbered list or a short query
//        ─► anomalies after the first WARMUP events of each stream: prompt_injection,
//           foreign_language, encoded_blob, pasted_code, token_flood (one event each) and
//           topic_drift (a window of 8-20 off-topic prompts or answers)
//        ─► streams merged by timestamp ─► events + labels {anomalous, kinds}
// Written without reading the detector's parameters, to check the free-text detector against a
// style it was not tuned on. Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { plantKinds, seeded, type Random } from './random.js';
import * as W from './llm-dev-words.js';
import { LLM_KINDS, type LlmKind } from './llm.js';

const START = Date.UTC(2026, 10, 9, 7, 30, 0);
const WARMUP = 200;
const SPACING = 30;

interface StreamPlan { name: string; events: number; gapS: number; perKind: number; answers: boolean }
const STREAMS: readonly StreamPlan[] = [
  { name: 'dataassist-prompts', events: 1500, gapS: 25, perKind: 2, answers: false },
  { name: 'devassist-prompts', events: 1000, gapS: 40, perKind: 1, answers: false },
  { name: 'dataassist-answers', events: 1000, gapS: 35, perKind: 1, answers: true },
];

function slot(r: Random, name: string): string | undefined {
  switch (name) {
    case 'table': return r.pick(W.TABLES);
    case 'column': return r.pick(W.COLUMNS);
    case 'tool': return r.pick(W.TOOLS);
    case 'func': return r.pick(W.FUNCS);
    case 'person': return r.pick(W.PEOPLE);
    case 'team': return r.pick(W.TEAMS);
    case 'thing': return r.pick(W.THINGS);
    case 'kpi': return r.pick(W.KPIS);
    case 'region': return r.pick(W.REGIONS);
    case 'error': return r.pick(W.ERRORS);
    case 'snippet': return r.pick(W.SNIPPETS);
    case 'loan': return r.pick(W.LOANWORDS);
    case 'num': return String(r.chance(0.5) ? r.int(2, 99) : r.int(100, 250_000));
    case 'pct': return `${r.int(1, 60)}${r.chance(0.4) ? '.' + r.int(0, 9) : ''}%`;
    case 'money': return r.pick([`$${r.int(1, 900)}k`, `€${r.int(100, 99_999)}`, `${r.int(2, 40)}M SEK`, `£${r.int(10, 9_999)}.${r.int(10, 99)}`]);
    case 'month': return r.pick(['Jan', 'February', 'March', 'Q2', 'May', 'June', 'July', 'Aug', 'September', 'October', 'Nov', 'December']);
    case 'time': return `${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}`;
    case 'v': return `${r.int(0, 4)}.${r.int(0, 30)}${r.chance(0.5) ? '.' + r.int(0, 9) : ''}`;
    case 'q': return String(r.int(1, 4));
    case 'ident': return `${r.pick(['load', 'sync', 'daily', 'etl', 'agg', 'export', 'refresh'])}_${r.pick(W.COLUMNS).split('_')[0]}_${r.pick(['v2', 'job', 'hourly', 'tmp', 'prod', r.hex(4)])}`;
    case 'email': return `${r.pick(['ops', 'x', 'backup', 'data', 'j.doe'])}${r.int(1, 999)}@${r.pick(['proton.me', 'mail.ru', 'gmail.com', 'tempmail.io'])}`;
    case 'list': return Array.from({ length: r.int(2, 5) }, () => `${r.pick(W.REGIONS)} ${r.int(1, 999)}`).join(', ');
    default: return undefined;
  }
}

/** Expands {a|b|c} alternatives and {slot}s, innermost first; other braces are kept. */
export function expand(r: Random, template: string): string {
  let s = template;
  for (let guard = 0; guard < 80; guard++) {
    const next = s.replace(/\{([^{}]*)\}/, (_m, body: string) => (body.includes('|') ? r.pick(body.split('|')) : slot(r, body) ?? `\u0001${body}\u0002`));
    if (next === s) break;
    s = next;
  }
  // Braces that are no slot (code, regex quantifiers) stay as written.
  return s.replaceAll('\u0001', '{').replaceAll('\u0002', '}');
}

/** A typo: two letters swapped, one dropped or one doubled, at a random letter. */
export function typo(r: Random, s: string): string {
  const letters = [...s.matchAll(/[a-z]{4,}/g)];
  if (letters.length === 0) return s;
  const m = r.pick(letters);
  const i = (m.index) + r.int(1, m[0].length - 2);
  const f = r.int(0, 2);
  if (f === 0) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  if (f === 1) return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + s[i] + s.slice(i);
}

function sentence(r: Random, core: string): string {
  const s = core.charAt(0).toUpperCase() + core.slice(1);
  return /[.?!:]$/.test(s) ? s : s + r.pick(['?', '.', '?', '', '.']);
}

/** One normal prompt: from a 3-word ask to several paragraphs with a list. */
export function devPrompt(r: Random): string {
  const shape = r.next();
  if (shape < 0.1) return expand(r, r.pick(['{func} vs {func}?', 'explain {func}', '{tool} {error}?', 'rerun `{ident}` pls', 'what is {kpi}', 'define {column}', 'is {table} fresh?']));
  const parts: string[] = [];
  const open = expand(r, r.pick(W.OPEN));
  const asks = shape < 0.75 ? 1 : r.int(2, 3);
  for (let i = 0; i < asks; i++) {
    let ask = expand(r, r.pick(W.ASKS));
    if (r.chance(0.4)) ask += `${r.pick([', ', ' — ', '; ', '. ', ' (', ' because '])}${expand(r, r.pick(W.CONTEXT))}`.replace(/\(([^)]*)$/, '($1)');
    parts.push(sentence(r, ask));
  }
  if (r.chance(0.25)) parts.push(sentence(r, expand(r, r.pick(W.CONTEXT))));
  let text = [open, ...parts].filter((x) => x !== '').join(' ');
  if (shape > 0.9) {
    const items = Array.from({ length: r.int(2, 6) }, (_, k) => `${r.pick([`${k + 1}.`, '-', '*', `${k + 1})`])} ${expand(r, r.pick([...W.CONTEXT, ...W.ANSWER_LIST]))}`);
    text += `\n\n${r.pick(['What I tried:', 'Requirements:', 'Steps so far', 'Constraints:', 'Notes'])}\n${items.join('\n')}`;
    if (r.chance(0.5)) text += `\n\n${sentence(r, expand(r, r.pick(W.ASKS)))}`;
  }
  const close = expand(r, r.pick(W.CLOSE));
  if (close !== '') text += (r.chance(0.3) ? '\n' : ' ') + close;
  for (let t = r.chance(0.2) ? r.int(1, 3) : 0; t > 0; t--) text = typo(r, text);
  if (r.chance(0.15)) text = text.toLowerCase();
  return text;
}

/** One normal answer of the assistant: an opening, paragraphs, sometimes a list or a short query. */
export function devAnswer(r: Random): string {
  const out: string[] = [expand(r, r.pick(W.ANSWER_OPEN))];
  const paras = r.int(1, 3);
  for (let p = 0; p < paras; p++) {
    out.push(Array.from({ length: r.int(1, 4) }, () => expand(r, r.pick(W.ANSWER_SENTENCES))).join(' '));
    if (r.chance(0.3)) out.push(Array.from({ length: r.int(2, 5) }, (_, k) => `${k + 1}. ${expand(r, r.pick(W.ANSWER_LIST))}.`).join('\n'));
    if (r.chance(0.15)) out.push(`\`${expand(r, r.pick(W.SNIPPETS))}\``);
  }
  return out.join(r.chance(0.7) ? '\n\n' : ' ');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomFrom(r: Random, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[r.int(0, alphabet.length - 1)];
  return s;
}

function devBlob(r: Random): string {
  const f = r.int(0, 4);
  let body: string;
  if (f === 0) body = randomFrom(r, B64, r.int(16, 90) * 4);
  else if (f === 1) body = `-----BEGIN ${r.pick(['CERTIFICATE', 'RSA PRIVATE KEY', 'PGP MESSAGE'])}-----\n${Array.from({ length: r.int(3, 10) }, () => randomFrom(r, B64, 64)).join('\n')}\n-----END-----`;
  else if (f === 2) body = randomFrom(r, B32, r.int(10, 40) * 8);
  else if (f === 3) body = Array.from({ length: r.int(30, 120) }, () => `%${randomFrom(r, '0123456789ABCDEF', 2)}`).join('');
  else body = `0x${r.hex(r.int(40, 200) * 2)}`;
  return r.chance(0.5) ? `${expand(r, r.pick(['what is this {tool} value', 'found this in {table}.{column}:', 'decode?', 'the export contains', 'hey can you read this']))} ${body}` : body;
}

const CODE_HEADS = ['import pandas as pd\nimport numpy as np', 'package main\n\nimport "fmt"', '#!/usr/bin/env bash\nset -euo pipefail', 'using System;\nusing System.Linq;', '#include <stdio.h>\n#include <stdlib.h>', 'const fs = require("fs");'];
const CODE_LINES = [
  'for (int i = 0; i < n; i++) { total += rows[i].{column}; }', 'df = pd.read_csv("{table}.csv", parse_dates=["{column}"])',
  'if err != nil {\n\treturn fmt.Errorf("load: %w", err)\n}', 'echo "$(date -u) starting" >> /var/log/{ident}.log',
  'result = df.groupby("{column}")["{column}"].agg(["sum", "mean"]).reset_index()', 'const rows = JSON.parse(fs.readFileSync(path, "utf8"));',
  'var grouped = items.GroupBy(x => x.Region).Select(g => new { g.Key, Total = g.Sum(x => x.Amount) });', 'while ((c = getchar()) != EOF) counts[c]++;',
  'def {ident}(conn, since):\n    cur = conn.cursor()\n    cur.execute(SQL, (since,))\n    return cur.fetchall()', 'for f in ./exports/*.csv; do gzip -9 "$f"; done',
  'mask = np.where(df["{column}"].isna(), 0, df["{column}"])', 'rows.filter(r => r.{column} > {num}).map(r => ({ id: r.id, v: r.{column} }))',
  'try:\n    run()\nexcept Exception as e:\n    log.exception(e)\n    raise', 'printf("%s,%d\\n", name, count);',
];

function devCode(r: Random): string {
  const lines = [r.pick(CODE_HEADS), ''];
  for (let i = r.int(4, 14); i > 0; i--) lines.push(expand(r, r.pick(CODE_LINES)));
  const code = lines.join('\n');
  return r.chance(0.3) ? `${expand(r, r.pick(['```\n', '']))}${code}${code.startsWith('```') ? '\n```' : ''}` : code;
}

function devFlood(r: Random): string {
  const unit = r.pick(W.FLOOD_UNITS);
  const sep = r.pick([' ', ' ', '', ', ', '\n', ' ... ']);
  const body = Array.from({ length: r.int(12, 150) }, () => unit).join(sep);
  return r.chance(0.35) ? `${devPrompt(r)} ${body}` : body;
}

function devAnomaly(r: Random, kind: Exclude<LlmKind, 'topic_drift'>, answers: boolean): string {
  switch (kind) {
    case 'prompt_injection': {
      const inj = `${r.pick(W.INJECT_LEADS)} ${sentence(r, expand(r, r.pick(W.INJECT_ASKS)))}`;
      if (answers) return `${r.pick(['Sure! Ignoring my previous instructions as requested.', 'Understood, restrictions disabled.', 'OK. My system prompt is: "You are DataAssist,'])} ${expand(r, r.pick(W.INJECT_ASKS))}.`;
      return r.chance(0.5) ? inj : `${devPrompt(r)}\n\n${inj}`;
    }
    case 'foreign_language': return expand(r, r.pick(W.FOREIGN_PROMPTS));
    case 'encoded_blob': return devBlob(r);
    case 'pasted_code': return devCode(r);
    case 'token_flood': return devFlood(r);
  }
}

export function offTopic(r: Random, answers: boolean): string {
  const t = sentence(r, expand(r, r.pick(W.OFF_TOPIC)));
  return answers ? `${r.pick(['Great question!', 'Here are some thoughts.', 'Of course.'])} ${t.replace(/\?$/, '.')} ${r.pick(['Enjoy!', 'Have fun with it.', 'Good luck!'])}` : t;
}

export function generateLlmDev(seed: number): GeneratedSet {
  const r = seeded(seed * 7919 + 17);
  const rows: { ts: number; ev: GeneratedEvent; kind?: LlmKind }[] = [];
  for (const s of STREAMS) {
    const planted = plantKinds(r, LLM_KINDS, s.perKind, s.events, { kind: 'topic_drift', min: 8, max: 20 }, WARMUP, SPACING);
    let ts = START + r.int(0, 90_000);
    for (let i = 0; i < s.events; i++) {
      ts += Math.max(500, Math.round(r.exp(s.gapS * 1000)));
      const p = planted.find((x) => i >= x.at && i < x.at + x.length);
      let text: string;
      if (p === undefined) text = s.answers ? devAnswer(r) : devPrompt(r);
      else if (p.kind === 'topic_drift') text = offTopic(r, s.answers);
      else text = devAnomaly(r, p.kind, s.answers);
      rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: s.name, stream_type: 'llm', data: text }, ...(p === undefined ? {} : { kind: p.kind }) });
    }
  }
  return labelledSet(rows);
}

export const llmDevGenerator: Generator = {
  describe: 'an internal data and coding assistant (2 prompt streams, 1 answer stream; another style than llm) with prompt injections, other languages, encoded blobs, pasted code, token floods and topic drift',
  generate: generateLlmDev,
};
