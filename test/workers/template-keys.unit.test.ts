// A key=value field's key is part of its line's shape (templates.ts): two logfmt lines of the same
// length whose keys differ are different kinds of line, not one template whose `status=<*>` slot
// takes the other line's `amount=` values (host generator: a Go API's request and "payment
// captured" lines, ten fields each, were one template; its status slot saw amounts, became a
// numeric slot, and every routine 404 or 422 was "2× its typical 200"; a new currency landed in
// the dur_ms slot and was never judged).
import { describe, expect, it } from 'vitest';
import { scan, TemplateMiner, templateText } from '../../workers/detectors/templates.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;

function api(n: number, seed = 1): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const user = `usr_${r.hex(6)}`;
    const ts = T0 + i * 2000;
    // An RFC 5424 header as journald's lines are forwarded; the level and method vary, so every field after it is a slot.
    const head = `<134>1 ${new Date(ts).toISOString()} web-01 invoiced 1006 - - time=${new Date(ts).toISOString()}`;
    const text = r.chance(0.85)
      ? `${head} level=${r.chance(0.99) ? 'INFO' : 'ERROR'} msg=request method=${r.pick(['GET', 'GET', 'POST'])} path=/api/v1/invoices/${r.int(1000, 99_999)} status=${r.chance(0.96) ? 200 : r.pick([404, 422])} dur_ms=${(20 * Math.exp(0.5 * (r.next() - 0.5))).toFixed(2)} bytes=${r.int(800, 3000)} user=${user} req_id=01J${r.hex(20)}`
      : `${head} level=INFO msg="payment captured" invoice=INV-${r.int(10_000, 99_999)} amount=${(r.next() * 400).toFixed(2)} currency=${r.pick(['EUR', 'EUR', 'EUR', 'USD', 'GBP'])} psp=stripe psp_ref=pi_${r.hex(20)} user=${user}`;
    out.push({ ts, text });
  }
  return out;
}

describe('template keys', () => {
  it('keeps lines whose keys differ at most positions apart, and a keyed slot holds only its key', () => {
    const m = new TemplateMiner();
    const head = '<134>1 2026-01-06T22:01:26.680842+00:00 web-01 invoiced 1006 - - time=2026-01-06T22:01:26.680Z';
    const a = m.match(scan(`${head} level=INFO msg=request method=GET path=/api/v1/invoices/123 status=200 dur_ms=12.5 bytes=1800 user=usr_a1 req_id=01J9`, 64), 1);
    // Lines of one shape share a template whatever their values: every field is a slot now.
    const c = m.match(scan(`${head} level=ERROR msg=starting method=POST path=/api/v1/invoices/77 status=502 dur_ms=3.1 bytes=90 user=usr_c3 req_id=01JZ`, 64), 2);
    expect(c.template.id).toBe(a.template.id);
    expect(templateText(a.template)).toMatch(/invoiced <\*> - - time=<\*> level=<\*> msg=<\*> method=<\*> path=<\*> status=<\*> dur_ms/);
    const b = m.match(scan(`${head} level=INFO msg="payment captured" invoice=INV-1 amount=20.00 currency=EUR psp=stripe psp_ref=pi_3 user=usr_b2`, 64), 3);
    expect(b.template.id).not.toBe(a.template.id);
    expect(templateText(a.template)).toContain('status=<*>');
  });

  it('judges a new currency in its own slot, and routine 404s and 422s are not outliers of a status slot', () => {
    const ev = api(3000);
    const k = ev.findIndex((e, i) => i > 2500 && (e.text as string).includes('payment captured'));
    ev[k] = { ...ev[k], text: (ev[k].text as string).replace(/currency=\w+/, 'currency=SEK') };
    const { findings } = runStream('logs', ev, 100);
    const slot = findings.filter((f) => f.detector === 'template_slot');
    expect(slot.filter((f) => f.index === k && /"SEK" never seen/.test(f.explanation))).toHaveLength(1);
    expect(slot.filter((f) => /Slot "status"/.test(f.explanation))).toHaveLength(0);
  });
});
