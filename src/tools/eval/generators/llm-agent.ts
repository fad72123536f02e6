// Generator `llm-agent`: the ANSWERS of two internal LLM agents (stream_type llm), a style written
// without reading the detector (issue 11: the other llm generators are users' prompts; these are
// the model's outputs).
//
//   seed ─► seeded() ─► per stream, per event: an answer drawn from its mix (llm-agent-words.ts)
//           atlas-answers   the workplace assistant (IT, HR, travel, expenses): one-liners,
//                           numbered how-tos, bullet lists, markdown tables, shell snippets,
//                           prose of two or three paragraphs; ~10% French (the Lyon office); a
//                           rare legitimate refusal ("I can't see other employees' salaries");
//                           ~3,000 answers, ~15 s apart
//           relay-answers   the on-call agent: status one-liners, incident summaries and
//                           timelines, kubectl / SQL / PromQL snippets, status tables; English
//                           only; ~1,800 answers, ~25 s apart
//        ─► anomalies after the first WARMUP answers of each stream (llm-agent-anomalies.ts):
//           repetition_loop, leaked_prompt, wrong_language, encoded_blob, truncated one answer
//           each; refusal_burst (a run of 5-12 refusals in a row) and topic_drift (a run of 8-20
//           answers on one unrelated subject)
//        ─► streams merged by timestamp ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { placeApart, plantKinds, seeded, type Random } from './random.js';
import * as W from './llm-agent-words.js';
import { agentAnomaly, driftAnswer, refusal } from './llm-agent-anomalies.js';

export const LLM_AGENT_KINDS = ['repetition_loop', 'refusal_burst', 'leaked_prompt', 'wrong_language', 'encoded_blob', 'truncated', 'topic_drift'] as const;
export type LlmAgentKind = (typeof LLM_AGENT_KINDS)[number];
export type AgentRole = 'atlas' | 'relay';

const START = Date.UTC(2026, 9, 5, 7, 0, 0);
const WARMUP = 200;
const SPACING = 30;

interface StreamPlan { name: string; role: AgentRole; events: number; gapS: number; perKind: number }
export const AGENT_STREAMS: readonly StreamPlan[] = [
  { name: 'atlas-answers', role: 'atlas', events: 3000, gapS: 15, perKind: 2 },
  { name: 'relay-answers', role: 'relay', events: 1800, gapS: 25, perKind: 1 },
];

function slot(r: Random, name: string): string | undefined {
  switch (name) {
    case 'portal': return r.pick(['id.northwind.example', 'the Okta dashboard', 'password.northwind.example']);
    case 'system': return r.pick(W.SYSTEMS);
    case 'app': return r.pick(W.APPS);
    case 'device': return r.pick(W.DEVICES);
    case 'office': return r.pick(W.OFFICES);
    case 'city': return r.pick(W.CITIES);
    case 'team': return r.pick(W.TEAMS);
    case 'month': return r.pick(W.MONTHS);
    case 'weekday': return r.pick(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']);
    case 'n': return String(r.int(2, 45));
    case 'm': return String(r.int(2, 9));
    case 'hour': return String(r.int(7, 9));
    case 'hour2': return String(r.int(17, 20));
    case 'min': case 'min2': return String(r.int(0, 59)).padStart(2, '0');
    case 'day': return String(r.int(1, 28));
    case 'nth': return r.pick(['1st', '5th', '10th', '15th', '25th']);
    case 'year': return String(r.pick([2025, 2026, 2027]));
    case 'weeks': return String(r.pick([12, 16, 20, 26]));
    case 'cur': return r.pick(['€', '€', '$', '£']);
    case 'amount': return String(r.int(28, 95));
    case 'amount2': return String(r.int(12, 40) * 10);
    case 'wifi': return r.pick(['Northwind-Guest', 'NW-Visitors']);
    case 'printer': return `PRN-${r.pick(['BER', 'LYS', 'AUS', 'DUB'])}-${r.int(10, 99)}`;
    case 'cc': return `CC-${r.int(1000, 9999)}`;
    case 'port': return String(r.pick([3128, 8080, 8000]));
    case 'ticket': return String(r.int(10_000, 99_999));
    case 'ext': return String(r.int(100, 499));
    case 'svc': return r.pick(W.SERVICES);
    case 'cluster': return r.pick(W.CLUSTERS);
    case 'ms': return String(r.int(40, 900));
    case 'pct': return (r.next() * 3).toFixed(2);
    case 'pct2': return String(r.int(12, 96));
    case 'sha': return r.hex(7);
    case 'person': case 'person2': return r.pick(W.PEOPLE);
    case 'alert': return r.pick(W.ALERTS);
    case 'host': return `node-${r.pick(['eu1', 'eu2', 'us1'])}-${r.hex(5)}`;
    case 'db': return r.pick(['orders-db', 'ledger-db', 'users-db']);
    case 'cause': return fillAgent(r, r.pick(W.CAUSES));
    case 'fix': return fillAgent(r, r.pick(W.FIXES));
    case 'metric': return r.pick(['pool saturation', 'certificate expiry', 'queue depth', 'memory per pod']);
    default: return undefined;
  }
}

/** Expands {a|b} alternatives and {slot}s; unknown braces (code) stay as written. */
export function fillAgent(r: Random, template: string): string {
  const once = (s: string): string => s.replace(/\{([^{}|\s]+|[^{}]*\|[^{}]*)\}/g, (m, body: string) => (body.includes('|') ? r.pick(body.split('|')) : slot(r, body) ?? m));
  return once(once(template));
}

const join = (...parts: string[]): string => parts.filter((x) => x !== '').join('\n\n');
const fence = (lang: string, code: string[]): string => `\`\`\`${lang}\n${code.join('\n')}\n\`\`\``;
const table = (head: string[], rows: string[][]): string => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');

/** One answer of the workplace assistant. */
export function atlasAnswer(r: Random): string {
  const f = (t: string): string => fillAgent(r, t);
  const k = r.next();
  if (k < 0.1) return f(r.pick(W.FRENCH));
  if (k < 0.12) return r.pick(W.SCOPE_REFUSALS);
  const open = r.pick(W.OPENERS), close = r.pick(W.CLOSERS);
  if (k < 0.42) return [open, f(r.pick(W.SHORT)), r.chance(0.3) ? f(r.pick(W.PROSE)) : '', r.chance(0.3) ? close : ''].filter((x) => x !== '').join(' ');
  if (k < 0.57) {
    const h = r.pick(W.HOWTOS);
    const steps = h.steps.filter((_, i) => i < 2 || r.chance(0.8));
    return join(f(h.intro), steps.map((s, i) => `${i + 1}. ${f(s)}`).join('\n'), f(h.close), close);
  }
  if (k < 0.69) {
    const l = r.pick(W.LISTS);
    const items = l.items.filter(() => r.chance(0.8));
    return join(open, f(l.intro), (items.length > 0 ? items : l.items).map((s) => `- ${f(s)}`).join('\n'), r.chance(0.7) ? f(l.note) : '');
  }
  if (k < 0.77) {
    const t = r.pick(W.TABLES);
    return join(f(t.intro), table(t.head, t.rows.map((row) => row.map(f))), f(t.note));
  }
  if (k < 0.83) {
    const s = r.pick(W.SNIPPETS);
    return join(f(s.intro), fence(s.lang, s.code.map(f)), f(s.close));
  }
  // Sentences drawn without replacement: a normal answer never says the same thing twice.
  const pool = [...W.PROSE];
  const sentence = (): string => f(pool.splice(r.int(0, pool.length - 1), 1)[0]);
  const paras = Array.from({ length: r.int(2, 3) }, () => Array.from({ length: r.int(2, 4) }, sentence).join(' '));
  return join(open, ...paras, close);
}

/** One answer of the on-call agent. */
export function relayAnswer(r: Random): string {
  const f = (t: string): string => fillAgent(r, t);
  const k = r.next();
  if (k < 0.38) return [f(r.pick(W.OPS_SHORT)), r.chance(0.3) ? f(r.pick(W.OPS_SHORT)) : ''].filter((x) => x !== '').join(' ');
  if (k < 0.62) return f(r.pick(W.OPS_SUMMARY));
  if (k < 0.84) {
    const s = r.pick(W.OPS_CODE);
    return join(f(s.intro), fence(s.lang, s.code.map(f)), f(s.close));
  }
  const rows = Array.from({ length: r.int(3, 6) }, () => [f('{svc}'), f('{cluster}'), `${r.int(2, 12)}/${r.int(2, 12)}`, f('{ms}'), `${f('{pct}')}%`]);
  return join(W.OPS_TABLE.intro, table(W.OPS_TABLE.head, rows), r.chance(0.5) ? f('Everything is within SLO except maybe {svc}; I\'ll keep an eye on it.') : '');
}

export function generateLlmAgent(seed: number): GeneratedSet {
  const r = seeded(seed * 71_317 + 29);
  const rows: { ts: number; ev: GeneratedEvent; kind?: LlmAgentKind }[] = [];
  // One seed's one-event anomalies and drift topics differ, across both streams.
  const used = new Set<unknown>();
  for (const s of AGENT_STREAMS) {
    const planted: { at: number; kind: LlmAgentKind; length: number }[] = plantKinds<LlmAgentKind>(r, LLM_AGENT_KINDS.filter((k) => k !== 'refusal_burst'), s.perKind, s.events, { kind: 'topic_drift', min: 8, max: 20 }, WARMUP, SPACING);
    for (let n = 0; n < s.perKind; n++) {
      const length = r.int(5, 12);
      const at = placeApart(r, planted, length, WARMUP, s.events - length - 1, SPACING);
      if (at !== undefined) planted.push({ at, kind: 'refusal_burst', length });
    }
    const normal = (rr: Random): string => (s.role === 'atlas' ? atlasAnswer(rr) : relayAnswer(rr));
    let ts = START + r.int(0, 90_000);
    let topic = 0;
    for (let i = 0; i < s.events; i++) {
      ts += Math.max(800, Math.round(r.exp(s.gapS * 1000)));
      const p = planted.find((x) => i >= x.at && i < x.at + x.length);
      if (p !== undefined && p.kind === 'topic_drift' && i === p.at) {
        const left = W.DRIFT.map((_, k) => k).filter((k) => !used.has(`drift${k}`));
        topic = r.pick(left.length > 0 ? left : [0]);
        used.add(`drift${topic}`);
      }
      let text: string;
      if (p === undefined) text = normal(r);
      else if (p.kind === 'topic_drift') text = driftAnswer(r, topic);
      else if (p.kind === 'refusal_burst') text = refusal(r, s.role);
      else text = agentAnomaly(r, p.kind, s.role, normal, used);
      rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: s.name, stream_type: 'llm', data: text }, ...(p === undefined ? {} : { kind: p.kind }) });
    }
  }
  return labelledSet(rows);
}

export const llmAgentGenerator: Generator = {
  describe: 'the answers of two internal LLM agents (a workplace assistant with how-tos, lists, tables, snippets and ~10% French; an on-call agent with incident summaries, commands and status tables), with repetition loops, refusal bursts, leaked system prompts, a wrong language, encoded blobs, truncated answers and topic drift',
  generate: generateLlmAgent,
};
