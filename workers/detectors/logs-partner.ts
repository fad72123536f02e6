// An actor seen from a network it never used (logs.ts): a credential used from elsewhere.
//
//   line of template t ─► its address slots (an IPv4 address, with a port or a key: `si=1.2.3.4:5060`,
//        │  `remoteaddr=1.2.3.4`), each a partner: its network (the address's first two octets)
//        │  under the slot's key (a bare slot: no key)
//        ▼  the line's actors: its other slots, the first maxActors that name someone (a keyed
//        │  slot: by its key, an actor key, ACTOR_KEY, or by its value, an account `user@host`;
//        │  not eventSource=s3.amazonaws.com; a bare slot: by its token's place, when it has
//        │  shown more actors with an address than a low-cardinality field has values,
//        │  FIELD_PARAMS.lowCard, over all the stream's templates: users, not a verb or a level)
//        │  and look like a name (a letter first, no path, no
//        │  generated id, no address, no number)
//        │  (a line with a severity word, `authentication failure; ... rhost=... user=root`, is an
//        │  attempt on the actor, not its use: a brute force's new sources are not its networks)
//        ▼  per (actor, partner key) (LogsState.pn, at most maxRecords, unsettled ones out first):
//        │  its lines, its networks (at most maxNets: past them it roams, and is not judged), the
//        │  line and event time of its last new network
//        ▼  settled: seen on minSeen lines, its last new network quietLines of its lines and quietMs
//        │  of event time ago (and at least quietShare of its lines and time since its first);
//        │  a new network that sharedBy other settled records use (a VPN's egress, the office) is
//        │  learnt, not reported (cloud sign-ins: people moving between office, VPN and home);
//        │  another new network then opens a hold: that network's lines of the actor are reported for
//        │  holdMs of event time (a stolen token's whole session, not its first line only)
//   "A partner never seen: svc-deploy from 146.74.0.0/16 (its address slot #0). In its 81 earlier
//   lines it used 1 network (10.20.0.0/16), the last new one 81 lines and 4.0 h ago."
//
// Why: a service token used by one deployer from its one address, then from an outside address
// to list and clone every repository (ci: credential_misuse); a phone's account registered from
// an outside address and calling abroad (voip: toll_fraud). The user and the address slots are
// id-like (many values in the stream): the slot statistics judge neither, and each line is an
// ordinary one. What is new is the pair: this actor, that network. Networks, not addresses: a
// runner pool's new machine, an office's DHCP lease, a person's laptop on another desk are the
// same network; a person who works from many networks (more than maxNets) is not judged.
//
// Bounded (budget.ts PARTNER_BUDGET, out of the template layer's bytes): maxRecords records of at
// most 8 + maxNets + 1 numbers of at most 10 digits, keyed by a 32-bit hash in base 36, and
// maxSlotNames slot names of at most maxSlotName characters with a count. Event time only: a
// replay gives the same findings, whatever the batch split.
import { fnv1a } from './fnv.js';
import { ACTOR_KEY } from './value-rate.js';
import { slotLayout } from './slots.js';
import { FIELD_PARAMS } from './field-stats.js';
import type { Template } from './templates.js';
import { quietScore, type LogsState, type Part } from './logs-state.js';

export const PARTNER_DETECTOR = 'new_partner';

export const PARTNER_PARAMS = Object.freeze({
  /** Records (actor, partner key) per stream. */
  maxRecords: 512,
  /** Slots of a template looked at (its first ones), actors per line, partners per line. */
  maxSlots: 16,
  maxActors: 3,
  maxPartners: 2,
  /** Slot names whose actors are counted (LogsState.pk), per stream. */
  maxSlotNames: 64,
  /** …of at most this many characters (a longer key's actors are judged only when an actor key names them). */
  maxSlotName: 64,
  /** Networks per record: past them the actor roams (not judged). */
  maxNets: 3,
  /** Lines of the actor before it is judged, and since its last new network: lines and event time. */
  minSeen: 6,
  quietLines: 6,
  quietMs: 30 * 60_000,
  quietShare: 0.5,
  /** A reported new network's lines of the actor are reported for this long. */
  holdMs: 30 * 60_000,
  /** A network that this many other settled records use is the organisation's (a VPN egress, the office): learnt, not reported. */
  sharedBy: 3,
});

/** A record: [lines, lines at last new net, s of last new net, s of last line, s of first line, hold end s, held net, wide 0/1, nets...]. */
const HEAD = 8;
const LINES_CAP = 1e9;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}(?::\d{1,5})?$/;
const NAME = /^[A-Za-z][\w.@:+-]{1,63}$/;
/** A generated part (logs-pairs.ts GENERATED): letters and digits mixed, or hex. */
const GENERATED = /(^|[-_:/.])((?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{4,})($|[-_:/.@])/i;
/** An account (`alice@example.com`, `sip:1285@pbx.example.net`): a user part before a host. */
const ACCOUNT = /^(?:[a-z][a-z0-9+.-]*:)?[^@:\s]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;
const ADDRESS_IN = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/;

const trimValue = (v: string): string => {
  let a = 0, b = v.length;
  while (a < b && '"\'[(<'.includes(v[a])) a++;
  while (b > a && '"\',;)]>'.includes(v[b - 1])) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
};

/** The line's partners (network, key) and actors (`key=value` or value), reused. */
const nets: string[] = [];
const netKeys: string[] = [];
const actors: string[] = [];
/** Per actor of the line: its slot's name (a keyed slot's key, a bare one's `#` and token index), '' when an actor key names it. */
const actorSlots: string[] = [];
/** The line's slots (index in the layout, trimmed value) that may hold an actor, judged once the line shows an address. */
const candSlots: number[] = [];
const candValues: string[] = [];

function readLine(t: Template, tokens: readonly string[]): void {
  const P = PARTNER_PARAMS;
  nets.length = 0;
  netKeys.length = 0;
  actors.length = 0;
  actorSlots.length = 0;
  candSlots.length = 0;
  candValues.length = 0;
  const L = slotLayout(t);
  for (let k = 0; k < L.pos.length && k < P.maxSlots; k++) {
    const i = L.pos[k];
    if (i >= tokens.length) continue;
    const tok = tokens[i];
    const cut = L.cut[k];
    const keyed = cut > 0 && tok.length >= cut && tok.charCodeAt(cut - 1) === 61 && tok.startsWith(L.names[k]);
    if (cut > 0 && !keyed) continue;
    const raw = keyed ? tok.slice(cut) : tok;
    const v = trimValue(raw);
    // An address stands alone (`1.0.11.23"` closing a quoted user agent is a version).
    const m = v === raw ? IPV4.exec(v) : null;
    if (m !== null) {
      if (nets.length < P.maxPartners) {
        nets.push(`${m[1]}.${m[2]}`);
        netKeys.push(keyed ? L.names[k] : '');
      }
      continue;
    }
    candSlots.push(k);
    candValues.push(v);
  }
  // Actors are looked for only on a line with an address (most lines have none).
  if (nets.length === 0) return;
  for (let c = 0; c < candSlots.length; c++) {
    const k = candSlots[c], v = candValues[c];
    const keyed = L.cut[k] > 0;
    if (actors.length >= P.maxActors || !NAME.test(v) || GENERATED.test(v) || ADDRESS_IN.test(v)) continue;
    // A keyed slot names someone by its key (an actor key) or its value (an account's `user@host`);
    // a bare one by the many actors of its place (counted in partnerNews).
    const named = keyed && (ACTOR_KEY.test(L.names[k]) || ACCOUNT.test(v));
    if (keyed && !named) continue;
    actors.push(keyed ? `${L.names[k]}=${v}` : v);
    actorSlots.push(named ? '' : `#${L.pos[k]}`);
  }
}

/**
 * The line of template `t` (its tokens) at event time `ts`, `failed` when it has a severity word
 * (a failure, an error): a settled actor's new network, or a line of a network in its hold, as a
 * finding (at least `threshold`) to out; the score.
 */
export function partnerNews(s: LogsState, t: Template, tokens: readonly string[], ts: number, failed: boolean, threshold: number, out: Part[]): number {
  // A line that reports a failure (`authentication failure ... user=root`) is an attempt, not the actor's use: neither judged nor learnt.
  if (failed || typeof ts !== 'number' || !Number.isFinite(ts)) return 0;
  readLine(t, tokens);
  if (nets.length === 0 || actors.length === 0) return 0;
  const pn = (s.pn ??= {});
  const sec = Math.floor(ts / 1000);
  let top = 0;
  const pk = (s.pk ??= {});
  for (let q = 0; q < actors.length; q++) {
    // An actor of a slot that has shown more actors than a low-cardinality field has values (not a verb, a level).
    const slot = actorSlots[q];
    const judged = slot === '' || (pk[slot] ?? 0) > FIELD_PARAMS.lowCard;
    for (let j = 0; j < nets.length; j++) {
      const score = judge(pn, pk, slot, actors[q], nets[j], netKeys[j], judged, sec, threshold, out);
      if (score > top) top = score;
    }
  }
  return top;
}

function judge(pn: Record<string, number[]>, pk: Record<string, number>, slot: string, actor: string, net: string, key: string, judged: boolean, sec: number, threshold: number, out: Part[]): number {
  const P = PARTNER_PARAMS;
  const id = fnv1a(`${actor}|${key}`).toString(36);
  let r = pn[id];
  if (r === undefined) {
    r = pn[id] = [0, 0, sec, sec, sec, 0, 0, 0];
    trim(pn, id);
    if (slot !== '' && slot.length <= P.maxSlotName && (pk[slot] !== undefined || Object.keys(pk).length < PARTNER_PARAMS.maxSlotNames)) pk[slot] = Math.min((pk[slot] ?? 0) + 1, FIELD_PARAMS.lowCard + 1);
  }
  const h = fnv1a(net);
  const lines = r[0] - r[1], quiet = sec - r[2];
  const settled = judged && r[7] === 0 && r[0] >= P.minSeen && lines >= P.quietLines && quiet * 1000 >= P.quietMs && lines >= P.quietShare * r[0] && quiet >= P.quietShare * (sec - r[4]);
  // Counts stay under 1e9 (their digits are bounded, budget.ts PARTNER_BUDGET): both step back together.
  if (r[0] >= LINES_CAP) {
    r[0] -= LINES_CAP / 2;
    r[1] = Math.max(0, r[1] - LINES_CAP / 2);
  }
  r[0]++;
  r[3] = sec;
  const known = r.indexOf(h, HEAD) >= 0;
  const held = r[6] === h && sec <= r[5];
  if (known && !held) return 0;
  if (!known) {
    const holding = sec <= r[5];
    if (settled && !holding && shared(pn, id, h)) {
      // Colleagues come in through it (a VPN's egress, the office): a person moving, not a stranger.
      if (r.length - HEAD < P.maxNets + 1) r.push(h);
      return 0;
    }
    if (!settled && !holding) {
      r[1] = r[0];
      r[2] = sec;
      if (r.length - HEAD >= P.maxNets) r[7] = 1;
      else r.push(h);
      return 0;
    }
    if (r.length - HEAD < P.maxNets + 1) r.push(h);
    if (!holding) r[5] = sec + P.holdMs / 1000;
    r[6] = h;
  }
  const score = quietScore(lines, quiet * 1000, P.quietLines, P.quietMs) ?? 0;
  if (score < threshold) return score;
  const netsBefore = r.length - HEAD - (known ? 0 : 1);
  out.push({
    score,
    detector: PARTNER_DETECTOR,
    explanation: `A partner never seen: ${actor} from ${net}.0.0/16${key === '' ? '' : ` (${key})`}. In its ${r[0] - 1} earlier lines it used ${netsBefore} other network${netsBefore === 1 ? '' : 's'}, its last new one ${lines} lines and ${(quiet / 3600).toFixed(1)} h of event time before this network came (its networks count as settled from ${P.quietLines} lines and ${P.quietMs / 60_000} min on).`,
    details: { kind: 'new_partner', actor, network: `${net}.0.0/16`, key, seen: r[0] - 1, quiet_lines: lines, quiet_ms: quiet * 1000 },
  });
  return score;
}

/** Whether at least sharedBy settled records other than `id` have used network `h`. */
function shared(pn: Record<string, number[]>, id: string, h: number): boolean {
  let n = 0;
  for (const k in pn) {
    const r = pn[k];
    if (k !== id && r[0] >= PARTNER_PARAMS.minSeen && r.indexOf(h, HEAD) >= 0 && ++n >= PARTNER_PARAMS.sharedBy) return true;
  }
  return false;
}

/**
 * Drops one record beyond maxRecords, never `keep`: the least recently seen of those seen once (a
 * call's id, a caller who never calls again), else of those not settled (fewer than minSeen
 * lines), else of all: a phone that calls every twenty minutes keeps its record through a day of
 * one-off callers.
 */
function trim(pn: Record<string, number[]>, keep: string): void {
  const ids = Object.keys(pn);
  if (ids.length <= PARTNER_PARAMS.maxRecords) return;
  const tier = (r: number[]): number => (r[0] <= 1 ? 0 : r[0] < PARTNER_PARAMS.minSeen ? 1 : 2);
  let old = '';
  for (const id of ids) {
    if (id === keep) continue;
    if (old === '') { old = id; continue; }
    const r = pn[id], o = pn[old];
    const a = tier(r), b = tier(o);
    if (a < b || (a === b && (r[3] < o[3] || (r[3] === o[3] && id < old)))) old = id;
  }
  delete pn[old];
}
