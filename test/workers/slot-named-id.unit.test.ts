// A Celery worker's lines name their task with its id glued on (`tasks.send_email[4d9dc112-...]`),
// and print the run time with a unit and a colon (`succeeded in 0.081s: None`). The task slot was
// high-cardinality (a new id on every line), so no context of the line's other values, and the
// run time was no number (the colon after the unit): a send_email run 30× its usual went unseen
// (queue 201-215: 15 of 15 missed). Now the number is read past its `s:`, and a name with an id
// in brackets is the slot's route (field-routes.ts: `tasks.send_email[*]`), a view of the line's
// numbers and the context of an HTTP status in it (`{'status': 409, ...}`). Fails before the change:
// no finding on the slow run; no route for a named id; no status class for `409,`.
import { describe, expect, it } from 'vitest';
import { seeded, type Random } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { isPath, routeShape, statusClass } from '../../workers/detectors/field-routes.js';
import { numberOf } from '../../workers/detectors/fields.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 6, 0, 0);
const uuid = (r: Random): string => `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`;
const stamp = (t: number): string => new Date(t).toISOString().slice(0, 23).replace('T', ' ').replace('.', ',');
const around = (r: Random, x: number): number => x * Math.exp(0.35 * (r.next() + r.next() + r.next() - 1.5));

interface Edit { at: number; slow?: number; status?: number }

/** A Celery worker's succeeded lines, 2 s apart: send_email (0.08 s, None) and render_invoice (1.4 s, an S3 key), webhooks (2xx) and CRM syncs (2xx, 409, 429). */
function celery(n: number, edit?: Edit): ScoreInput[] {
  const r = seeded(23);
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * 2000;
    const u = r.next();
    const head = `[${stamp(ts)}: INFO/ForkPoolWorker-${r.int(1, 8)}]`;
    let text: string;
    if (edit?.slow !== undefined && i === edit.at) text = `${head} Task tasks.send_email[${uuid(r)}] succeeded in ${(around(r, 0.08) * edit.slow).toFixed(6)}s: None`;
    else if (edit?.status !== undefined && i === edit.at) text = `${head} Task tasks.deliver_webhook[${uuid(r)}] succeeded in ${around(r, 0.3).toFixed(6)}s: {'status': ${edit.status}, 'endpoint': 'partner-${r.int(1, 60)}'}`;
    else if (u < 0.4) text = `${head} Task tasks.send_email[${uuid(r)}] succeeded in ${around(r, 0.08).toFixed(6)}s: None`;
    else if (u < 0.55) text = `${head} Task tasks.render_invoice[${uuid(r)}] succeeded in ${around(r, 1.4).toFixed(6)}s: 's3://acme-invoices/2026/INV-${r.int(100_000, 999_999)}.pdf'`;
    else if (u < 0.85) text = `${head} Task tasks.deliver_webhook[${uuid(r)}] succeeded in ${around(r, 0.3).toFixed(6)}s: {'status': ${r.pick([200, 200, 202, 204])}, 'endpoint': 'partner-${r.int(1, 60)}'}`;
    else text = `${head} Task tasks.sync_crm[${uuid(r)}] succeeded in ${around(r, 2.6).toFixed(6)}s: {'status': ${r.pick([200, 200, 409, 429])}, 'contact': 'c_${r.hex(10)}'}`;
    out.push({ ts, text });
  }
  return out;
}

const N = 4000;
const AT = 3500;
const slot = (ev: ScoreInput[], at: number): number => runStream('logs', ev, 100).findings.filter((f) => f.index === at && f.detector === 'template_slot').length;

describe('a task named with its id (field-routes.ts)', () => {
  it('reads a run time ending in a unit and a colon as a number', () => {
    expect(numberOf('0.081234s:')).toBeCloseTo(0.081234, 6);
    expect(numberOf('12:')).toBe(12);
    expect(numberOf('10:02:11')).toBeNaN();
  });

  it('takes a name with an id in brackets for a route; not a name with a word in them', () => {
    expect(isPath('tasks.send_email[4d9dc112-ef77-4aff-855c-cd0c1d1dd559]')).toBe(true);
    expect(routeShape('tasks.send_email[4d9dc112-ef77-4aff-855c-cd0c1d1dd559]')).toBe('tasks.send_email[*]');
    expect(isPath('sshd[2231]:')).toBe(true);
    expect(routeShape('sshd[2231]:')).toBe('sshd[*]:');
    expect(isPath('queue[default]')).toBe(false);
    expect(isPath('[2231]')).toBe(false);
    expect(statusClass('409,')).toBe(4);
    expect(statusClass('409,,')).toBe(0);
  });

  it('reports a send_email run 30 times its usual, judged against send_email, not render_invoice', () => {
    expect(slot(celery(N, { at: AT, slow: 30 }), AT)).toBeGreaterThan(0);
  });

  it('reports a 409 on the webhook task, whose 4xx were only the CRM sync\'s, after some 800 webhooks', () => {
    const at = 2600;
    const f = runStream('logs', celery(N, { at, status: 409 }), 100).findings.filter((x) => x.index === at && x.detector === 'template_slot');
    expect(f.map((x) => x.details.kind)).toContain('context_value');
  });

  it('and no value finding on the usual lines', () => {
    const ev = celery(N);
    expect(runStream('logs', ev, 100).findings.filter((f) => f.detector === 'template_slot' && f.index >= 1000)).toEqual([]);
  });
});
