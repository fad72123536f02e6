// An actor seen from a network it never used (logs-partner.ts): in a git server's access log,
// people clone from their desks' many addresses and a deploy token from its one address all day;
// the token then used from an outside address is reported on each line of that use (fails on
// main: no new_partner finding), whatever the batch split; a person on another desk of the same
// network, a new person, a new machine of the runner pool, and failed logins of people from
// outside networks (a brute force: attempts, not use) are not; nor a person who comes in through
// the network half the team already uses (a VPN's egress, the office: cloud sign-ins).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 25, 8);
const USERS = ['maya.costa', 'rosa.m', 'wei.m', 'farid.walsh', 'chloe.k', 'ines.berg', 'quinn.walsh', 'kasia.ortiz', 'zoe.ortiz', 'sven.m', 'anna.berg', 'hugo.lind'];
const REPOS = ['catalog-api', 'checkout-web', 'email-renderer', 'shipping-rates', 'deploy-config', 'search-index'];

function line(r: ReturnType<typeof seeded>, ts: number, ip: string, user: string, repo: string): string {
  const d = new Date(ts);
  const stamp = `${String(d.getUTCDate()).padStart(2, '0')}/Jul/2026:${d.toISOString().slice(11, 19)} +0000`;
  return `${ip} - ${user} [${stamp}] "GET /acme/${repo}.git/info/refs?service=git-upload-pack HTTP/1.1" 200 ${r.int(800, 9000)} "-" "git/2.39.3" 0.0${r.int(10, 99)}`;
}

/** Six hours of clones, 5 to 25 s apart; `misuse`: the deploy token from an outside address at 5 h, 12 clones in 3 minutes. */
function stream(misuse: boolean): { ev: ScoreInput[]; bad: number[]; benign: number[] } {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  const bad: number[] = [];
  const benign: number[] = [];
  let next = T0;
  for (let t = T0; t < T0 + 6 * 3_600_000; t += r.int(5000, 25_000)) {
    if (misuse && t >= T0 + 5 * 3_600_000 && bad.length < 12) {
      bad.push(ev.length);
      ev.push({ ts: t, text: line(r, t, '146.74.152.20', 'svc-deploy', r.pick(REPOS)) });
      continue;
    }
    if (t >= next) {
      next = t + 180_000;
      ev.push({ ts: t, text: line(r, t, '10.20.1.15', 'svc-deploy', 'deploy-config') });
      continue;
    }
    const k = r.next();
    const late = t >= T0 + 4 * 3_600_000;
    if (late && k < 0.03) {
      // A brute force's failed logins of a person from outside networks: attempts, not the person's use.
      benign.push(ev.length);
      ev.push({ ts: t, text: `${r.pick(['45.76', '91.12', '203.7'])}.${r.int(1, 250)}.${r.int(1, 250)} - ${r.pick(USERS)} [auth failed] "GET /acme/${r.pick(REPOS)}.git/info/refs?service=git-upload-pack HTTP/1.1" 401 0 "-" "git/2.39.3" 0.001` });
      continue;
    }
    if (k < 0.3) {
      // The runner pool: a new machine (10.20.6.x) joins at 4 h.
      if (late && k < 0.1) benign.push(ev.length);
      ev.push({ ts: t, text: line(r, t, late && k < 0.1 ? `10.20.6.${r.int(10, 14)}` : `10.20.5.${r.int(11, 23)}`, 'ci-runner', r.pick(REPOS)) });
    } else {
      // People from their desks; a new person from 4 h on.
      const user = late && k > 0.9 ? 'nils.novak' : r.pick(USERS);
      if (late && k > 0.9) benign.push(ev.length);
      ev.push({ ts: t, text: line(r, t, `10.8.${r.int(0, 3)}.${r.int(2, 250)}`, user, r.pick(REPOS)) });
    }
  }
  return { ev, bad, benign };
}

describe('an actor from a network it never used', () => {
  it('reports each line of a settled token used from an outside network, in words, whatever the batch split', () => {
    const { ev, bad } = stream(true);
    const hit = runStream('logs', ev, 400).findings.filter((f) => f.detector === 'new_partner');
    expect(hit.map((f) => f.index)).toEqual(bad);
    expect(hit[0].explanation).toMatch(/^A partner never seen: svc-deploy from 146\.74\.0\.0\/16\. In its \d+ earlier lines it used 1 other network/);
    const small = runStream('logs', ev, 33).findings.filter((f) => f.detector === 'new_partner');
    expect(small).toEqual(hit);
  });

  it('stays quiet on people moving desks, a new person and a new runner of the pool', () => {
    const { ev, benign } = stream(false);
    expect(benign.length).toBeGreaterThan(50);
    const hit = runStream('logs', ev, 400).findings.filter((f) => f.detector === 'new_partner');
    expect(hit).toEqual([]);
  });

  it('stays quiet on a settled person coming in through the network several colleagues use (a VPN egress)', () => {
    // Half the team works from the office and through the VPN (185.92.24.x) from the start; the
    // rest from the office only, until one of them connects through the VPN at 4 h.
    const r = seeded(11);
    const ev: ScoreInput[] = [];
    const benign: number[] = [];
    for (let t = T0; t < T0 + 5 * 3_600_000; t += r.int(5000, 25_000)) {
      const late = t >= T0 + 4 * 3_600_000;
      const i = r.int(0, USERS.length - 1);
      const vpn = i < 6 ? r.next() < 0.5 : late && USERS[i] === 'quinn.walsh';
      if (vpn && i >= 6) benign.push(ev.length);
      ev.push({ ts: t, text: line(r, t, vpn ? `185.92.24.${r.int(2, 9)}` : `10.8.${r.int(0, 3)}.${r.int(2, 250)}`, USERS[i], r.pick(REPOS)) });
    }
    expect(benign.length).toBeGreaterThan(5);
    const hit = runStream('logs', ev, 400).findings.filter((f) => f.detector === 'new_partner');
    expect(hit).toEqual([]);
  });
});
