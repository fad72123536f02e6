// A storm with lulls (workers/detectors/text-quarantine.ts, #storm): once an incident of a
// never-seen message is a storm, its later lines are reported while the incident goes on and the
// pattern is rare, though they come thinner than its first ones, as long as the flood is a burst
// (younger than severeFlowMs, the stream louder than before it). Fails before branch edge18: the
// storm was judged again on every line over the whole incident (its lines at least a third of
// the stream's events since it began, faster than the stream's pace), so a flood that went on at
// a warning every fourth line after its dense start had 23 of its 60 later lines reported (edge
// seeds 202 and 204: a SYN flood's warnings over three minutes, 18 of them, each its own incident among
// the other streams' lines, missed).
import { describe, expect, it } from 'vitest';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { normal, pushStorm, SYN, T0 } from './storm-lines.js';

describe('a storm with lulls', () => {
  it('its thinner lines are reported while its incident goes on', () => {
    const lines = normal(1800, 1);
    const at = 1000;
    const ev: ScoreInput[] = lines.slice(0, at).map((text, i) => ({ ts: T0 + i * 1000, text }));
    // The dense start: 20 warnings on top of the stream's pace (every other event).
    let i = pushStorm(ev, lines, at, 20);
    // Then a warning among every 3 of the stream's lines (well within an incident's gap) for 60
    // more: the stream still louder than before (4 lines in 3 s), three minutes in all.
    const thin = new Set<number>();
    for (let j = 0; j < 60; j++) {
      thin.add(ev.length);
      ev.push({ ts: T0 + i * 1000 - 500, text: SYN([443, 25, 1194][j % 3]) });
      for (let k = 0; k < 3; k++, i++) ev.push({ ts: T0 + i * 1000, text: lines[i] });
    }
    ev.push(...lines.slice(i).map((text, k) => ({ ts: T0 + (i + k) * 1000, text })));
    const { findings } = runStream('logs', ev, 100);
    const hit = new Set(findings.filter((f) => f.detector === 'compression_surprise' && thin.has(f.index)).map((f) => f.index));
    expect(hit.size).toBeGreaterThan(50);
    // The stream's own lines after the storm are not reported for it.
    const after = findings.filter((f) => f.index > Math.max(...thin) && f.detector === 'compression_surprise');
    expect(after.length).toBeLessThan(3);
  });
});
