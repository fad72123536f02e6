// Generator `llm-shop`: a third llm style beside `llm` (support requests from templates) and
// `llm-dev` (a data and coding assistant): a US outdoor-apparel store's shopping assistant and a
// company's HR-policy assistant. Three streams: shoppers' chat turns, the store assistant's
// replies, and employees' HR questions.
//
//   seed ─► seeded() ─► per stream, per event: a chat turn drawn from its mix
//           (shop: short turns "in stock?", follow-ups that keep the chat's last product, colour
//            or order, longer asks with SKUs, sizes, prices and order numbers, pasted product
//            blurbs and order e-mails, product links, emoji, typos, case habits, ~6% Spanish;
//            replies: 1-3 sentences, ~5% Spanish; HR: policy asks, pasted manager e-mails,
//            employee and ticket ids, ~4% French)
//        ─► anomalies after the first WARMUP events of each stream (llm-shop-anomalies.ts):
//           prompt_injection, foreign_language (a language the stream never had),
//           encoded_blob, pasted_code, token_flood (one event each) and topic_drift (a run of
//           8-22 events on one unrelated topic)
//        ─► streams merged by timestamp ─► events + labels {anomalous, kinds}
// Written without reading the detector. Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { plantKinds, seeded, type Random } from './random.js';
import { LLM_KINDS, type LlmKind } from './llm.js';
import * as W from './llm-shop-words.js';
import { shopAnomaly, driftTopic, driftText } from './llm-shop-anomalies.js';

const START = Date.UTC(2026, 10, 16, 14, 0, 0);
const WARMUP = 200;
const SPACING = 30;

export type ShopRole = 'shop' | 'replies' | 'hr';
interface StreamPlan { name: string; role: ShopRole; events: number; gapS: number; perKind: number }
const STREAMS: readonly StreamPlan[] = [
  { name: 'northwind-shop-chat', role: 'shop', events: 1700, gapS: 15, perKind: 2 },
  { name: 'northwind-shop-replies', role: 'replies', events: 900, gapS: 30, perKind: 1 },
  { name: 'people-hr-assistant', role: 'hr', events: 1100, gapS: 25, perKind: 1 },
];

/** What a chat remembers for its follow-ups. */
export interface ChatMemory { product: string; color: string; order: string }

/** n distinct items of xs in a random order (all of them when n >= xs.length). */
export function distinct<T>(r: Random, xs: readonly T[], n: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(r.int(0, pool.length - 1), 1)[0]);
  return out;
}

function price(r: Random): string {
  const dollars = r.chance(0.8) ? r.int(12, 380) : r.int(400, 1_400);
  const s = dollars >= 1000 ? `${Math.floor(dollars / 1000)},${String(dollars % 1000).padStart(3, '0')}` : String(dollars);
  return r.pick([`$${s}.${r.pick(['99', '95', '00', '49'])}`, `$${s}`, `${s} bucks`, `$${s}.${String(r.int(0, 99)).padStart(2, '0')}`]);
}

function orderNo(r: Random): string {
  const f = r.int(0, 3);
  if (f === 0) return `NW${r.int(1_000_000, 9_999_999)}`;
  if (f === 1) return `#${r.int(10_000_000, 99_999_999)}`;
  if (f === 2) return `W${r.int(100, 999)}-${r.int(100_000, 999_999)}`;
  return `nw-${r.int(100_000, 999_999)}`;
}

function sku(r: Random): string {
  const color = r.pick(['BLU', 'BLK', 'SGE', 'OLV', 'GRY', 'ORG', 'NVY', 'RED']);
  const f = r.int(0, 2);
  if (f === 0) return `NW-${r.int(10_000, 99_999)}-${color}-${r.pick(['XS', 'S', 'M', 'L', 'XL'])}`;
  if (f === 1) return `SKU ${r.int(1_000_000, 9_999_999)}`;
  return `item #${r.int(10, 99)}-${r.int(100, 999)}-${String(r.int(0, 99)).padStart(2, '0')}`;
}

function slot(r: Random, name: string, mem: ChatMemory): string | undefined {
  switch (name) {
    case 'product': return r.chance(0.5) ? mem.product : (mem.product = r.pick(W.PRODUCTS));
    case 'color': return r.chance(0.3) ? mem.color : (mem.color = r.pick(W.COLORS));
    case 'order': return r.chance(0.3) ? mem.order : (mem.order = orderNo(r));
    case 'size': return r.pick(W.SIZES);
    case 'lsize': return r.pick(['XS', 'S', 'M', 'L', 'XL', 'XXL']);
    case 'sku': return sku(r);
    case 'price': return price(r);
    case 'code': return `${r.pick(['TRAIL', 'SPRING', 'WELCOME', 'CAMP', 'FREESHIP', 'FALL'])}${r.int(10, 40)}`;
    case 'carrier': return r.pick(W.CARRIERS);
    case 'state': return r.pick(W.STATES);
    case 'n': return String(r.int(2, 14));
    case 'date': return r.pick([`${r.pick(['Nov', 'Oct', 'Dec', 'Sept'])} ${r.int(1, 30)}`, `${r.int(9, 12)}/${r.int(1, 30)}`, r.pick(['monday', 'Tuesday', 'last friday', 'yesterday', 'the 3rd'])]);
    case 'name': return r.pick(W.NAMES);
    case 'year': return String(r.int(2024, 2027));
    case 'holiday': return r.pick(W.HOLIDAYS);
    case 'office': return r.pick(W.OFFICES);
    case 'plan': return r.pick(W.PLANS);
    case 'expense': return r.pick(W.EXPENSES);
    case 'term': return r.pick(W.TERMS);
    case 'emp': return `E-${r.int(100_000, 399_999)}`;
    case 'ticket': return `HR-${r.int(10_000, 99_999)}`;
    case 'section': return `${r.int(1, 12)}.${r.int(1, 9)}`;
    default: return undefined;
  }
}

/** Expands {a|b|c} alternatives and {slot}s, innermost first; unknown braces stay as written. */
export function fillShop(r: Random, template: string, mem: ChatMemory): string {
  let s = template;
  for (let guard = 0; guard < 60; guard++) {
    const next = s.replace(/\{([^{}]*)\}/, (_m, body: string) => (body.includes('|') ? r.pick(body.split('|')) : slot(r, body, mem) ?? `\u0001${body}\u0002`));
    if (next === s) break;
    s = next;
  }
  return s.replaceAll('\u0001', '{').replaceAll('\u0002', '}');
}

/** A typo of a hurried typist: two letters swapped, one dropped, or a neighbour key (else a doubled letter). */
export function slip(r: Random, s: string): string {
  const words = [...s.matchAll(/[a-z]{4,}/g)];
  if (words.length === 0) return s;
  const m = r.pick(words);
  const i = m.index + r.int(1, m[0].length - 2);
  const f = r.int(0, 2);
  if (f === 0) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  if (f === 1) return s.slice(0, i) + s.slice(i + 1);
  const near: Record<string, string> = { a: 's', e: 'r', i: 'o', o: 'p', n: 'm', s: 'd', t: 'y', r: 't', l: 'k', u: 'i' };
  return s.slice(0, i) + (near[s[i]] ?? s[i] + s[i]) + s.slice(i + 1);
}

function habits(r: Random, text: string): string {
  let t = text;
  for (let k = r.chance(0.25) ? r.int(1, 2) : 0; k > 0; k--) t = slip(r, t);
  const c = r.next();
  if (c < 0.22) t = t.toLowerCase();
  else if (c < 0.25 && t.length < 60) t = t.toUpperCase();
  else if (c < 0.5) t = t.charAt(0).toUpperCase() + t.slice(1);
  if (r.chance(0.12)) t += ` ${r.pick(W.EMOJI)}${r.chance(0.3) ? r.pick(W.EMOJI) : ''}`;
  if (r.chance(0.05)) t = t.replace(/\?$/, '???');
  return t;
}

function longShopPrompt(r: Random, mem: ChatMemory): string {
  const f = r.int(0, 2);
  if (f === 0) {
    const lines = distinct(r, W.BLURB, r.int(3, 6)).map((t) => fillShop(r, t, mem));
    return `${r.pick(['is this the same as the one you sell?', 'found this on a resale site:', 'copied from your page —', 'My friend sent me this.'])}\n"${lines.join(' ')}"\n${fillShop(r, r.pick(['does it come in {size}?', 'is it warmer than the {product}?', 'worth {price}?', 'which color is most popular']), mem)}`;
  }
  if (f === 1) {
    const lines = distinct(r, W.EMAIL_LINES, r.int(3, 6)).map((t) => fillShop(r, t, mem));
    return `${r.pick(['got this email but', 'this is my confirmation:', 'pasting the email:'])}\n${lines.join('\n')}\n${fillShop(r, r.pick(['the size is wrong, I picked {size}', 'I never got it?', 'why is the total {price}', 'can I still change the color to {color}']), mem)}`;
  }
  const slug = mem.product.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
  return `${r.pick(['is this the one?', 'this link', 'saw this on ig', ''])} https://shop.northwind.example/products/${slug}?variant=${r.int(10_000_000_000, 99_999_999_999)}${r.chance(0.5) ? `&utm_source=${r.pick(['ig', 'fb', 'email', 'tiktok'])}&utm_campaign=${r.pick(['fall', 'bf26', 'restock'])}` : ''} ${fillShop(r, r.pick(['{size} in stock?', 'is it on sale', 'in {color}?', '']), mem)}`.trim();
}

/** One shopper's chat turn. */
export function shopPrompt(r: Random, mem: ChatMemory): string {
  const shape = r.next();
  if (shape < 0.06) return fillShop(r, r.pick(W.SPANISH), mem);
  if (shape < 0.1) return longShopPrompt(r, mem);
  if (shape < 0.5) return habits(r, fillShop(r, r.pick(W.SHORT), mem));
  let text = [r.pick(W.OPEN), fillShop(r, r.pick(W.ASKS), mem)].filter((x) => x !== '').join(' ');
  if (r.chance(0.15)) text += `${r.pick(['. also ', '. And ', ' + ', '\n'])}${fillShop(r, r.pick(W.SHORT), mem)}`;
  const close = r.pick(W.CLOSE);
  return habits(r, close === '' ? text : `${text} ${close}`);
}

/** One reply of the store assistant. */
export function shopReply(r: Random, mem: ChatMemory): string {
  if (r.chance(0.05)) return fillShop(r, r.pick(W.SPANISH_REPLIES), mem);
  const parts = [r.pick(W.REPLY_OPEN), ...distinct(r, W.REPLIES, r.int(1, 3)).map((t) => fillShop(r, t, mem)), r.pick(W.REPLY_CLOSE)];
  return parts.filter((x) => x !== '').join(' ');
}

/** One employee's question to the HR assistant. */
export function hrPrompt(r: Random, mem: ChatMemory): string {
  const shape = r.next();
  if (shape < 0.04) return fillShop(r, r.pick(W.HR_FRENCH), mem);
  if (shape < 0.1) {
    const mail = distinct(r, W.HR_EMAIL, r.int(2, 5)).map((t) => fillShop(r, t, mem)).join(r.chance(0.5) ? '\n' : ' ');
    return `${r.pick(['my manager sent me this:', 'Got this email today —', 'fwd from my lead:', ''])}\n"${mail}"\n${r.pick(W.HR_FOLLOW)}`.trim();
  }
  let text = fillShop(r, r.pick(W.HR_ASKS), mem);
  if (r.chance(0.3)) text = `${r.pick(['Hi,', 'Quick question:', 'hey', 'Hello HR bot,', 'Sorry if this is obvious,'])} ${text}`;
  if (r.chance(0.15)) text += `${r.pick(['. Also ', '? and ', '. Follow-up: '])}${fillShop(r, r.pick(W.HR_ASKS), mem)}`;
  if (!/[?.!]$/.test(text)) text += r.pick(['?', '', '?', '.']);
  return habits(r, text);
}

function normal(r: Random, role: ShopRole, mem: ChatMemory): string {
  return role === 'shop' ? shopPrompt(r, mem) : role === 'replies' ? shopReply(r, mem) : hrPrompt(r, mem);
}

export function generateLlmShop(seed: number): GeneratedSet {
  const r = seeded(seed * 104_729 + 31);
  const rows: { ts: number; ev: GeneratedEvent; kind?: LlmKind }[] = [];
  for (const s of STREAMS) {
    const planted = plantKinds(r, LLM_KINDS, s.perKind, s.events, { kind: 'topic_drift', min: 8, max: 22 }, WARMUP, SPACING);
    const mem: ChatMemory = { product: r.pick(W.PRODUCTS), color: r.pick(W.COLORS), order: orderNo(r) };
    let ts = START + r.int(0, 120_000);
    let topic = 0;
    for (let i = 0; i < s.events; i++) {
      ts += Math.max(400, Math.round(r.exp(s.gapS * 1000)));
      // A new chat now and then: follow-ups refer to the current one.
      if (r.chance(0.15)) { mem.product = r.pick(W.PRODUCTS); mem.color = r.pick(W.COLORS); mem.order = orderNo(r); }
      const p = planted.find((x) => i >= x.at && i < x.at + x.length);
      if (p !== undefined && p.kind === 'topic_drift' && i === p.at) topic = driftTopic(r);
      let text: string;
      if (p === undefined) text = normal(r, s.role, mem);
      else if (p.kind === 'topic_drift') text = driftText(r, topic, s.role);
      else text = shopAnomaly(r, p.kind, s.role, (rr) => normal(rr, s.role, mem));
      rows.push({ ts, ev: { timestamp: new Date(ts).toISOString(), stream: s.name, stream_type: 'llm', data: text }, ...(p === undefined ? {} : { kind: p.kind }) });
    }
  }
  return labelledSet(rows);
}

export const llmShopGenerator: Generator = {
  describe: 'a store\'s shopping assistant (shoppers\' chat turns, its replies; Spanish is normal there) and an HR-policy assistant (French is normal there) with prompt injections, new languages, encoded blobs, pasted code, token floods and topic drift',
  generate: generateLlmShop,
};
