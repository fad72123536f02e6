import { describe, expect, it } from 'vitest';
import { scanJson } from '../../engine/transforms/prescan.js';

// scanJson skips a string's bytes with indexOf (closing quote = one after an even run of
// backslashes). The reference below is the byte-by-byte scan it replaced; both must refuse the
// same inputs with the same code, or accept them.
function reference(b: Uint8Array, maxBatchEvents: number, max: number, shape: 'body' | 'frame' | 'ndjson'): string | undefined {
  let values = 1, depth = 0, quote = -1, events = 0, countAt = -1, eventsKey = false, lineHasText = false;
  const isEventsKey = (q: number, end: number): boolean => end - q === 7 && Buffer.from(b.subarray(q + 1, end)).toString('latin1') === 'events';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (quote >= 0) {
      if (c === 0x5c) i++;
      else if (c === 0x22) { if (shape === 'frame' && depth === 1) eventsKey = isEventsKey(quote, i); quote = -1; }
      continue;
    }
    if (c > 0x20) lineHasText = true;
    if (c === 0x22) { quote = i; continue; }
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (++values > max) return 'DW_ERR_PAYLOAD_TOO_COMPLEX';
      if (c === 0x5b && ((shape === 'body' && depth === 1) || (shape === 'frame' && depth === 2 && eventsKey))) { countAt = depth; events = 1; }
    } else if (c === 0x5d || c === 0x7d) {
      if (depth === countAt) countAt = -1;
      depth--;
    } else if (c === 0x2c) {
      if (++values > max) return 'DW_ERR_PAYLOAD_TOO_COMPLEX';
      if (depth === countAt && ++events > maxBatchEvents) return 'DW_ERR_TOO_MANY_EVENTS';
      if (depth === 1) eventsKey = false;
    } else if (c === 0x0a && shape === 'ndjson') {
      if (lineHasText && ++events > maxBatchEvents) return 'DW_ERR_TOO_MANY_EVENTS';
      lineHasText = false;
      depth = 0;
    }
  }
  if (shape === 'ndjson' && lineHasText && ++events > maxBatchEvents) return 'DW_ERR_TOO_MANY_EVENTS';
  return undefined;
}

const outcome = (b: Uint8Array, maxBatchEvents: number, maxValues: number, shape: 'body' | 'frame' | 'ndjson'): string | undefined => {
  try { scanJson(b, { maxBatchEvents, maxValues }, shape); } catch (err) { return (err as { code: string }).code; }
  return undefined;
};

describe('scanJson', () => {
  it('decides as the byte-by-byte scan on 20,000 random frames, bodies and NDJSON with quotes, backslashes and brackets in strings', () => {
    let x = 7;
    const next = (n: number): number => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
    const atoms = ['"', '\\', '\\\\', '\\"', '[', ']', '{', '}', ',', '\n', 'a', ' ', 'é', '"events"', ':', '1'];
    const str = (): string => { let s = ''; const n = next(8); for (let i = 0; i < n; i++) s += atoms[next(atoms.length)]; return s; };
    const shapes = ['body', 'frame', 'ndjson'] as const;
    for (let i = 0; i < 20_000; i++) {
      const shape = shapes[next(3)];
      const events = Array.from({ length: next(6) }, () => ({ data: str(), stream: str(), n: [next(3), str()] }));
      let text = shape === 'frame' ? `{"seq":1,"events":${JSON.stringify(events)}}` : shape === 'body' ? JSON.stringify(events) : events.map((e) => JSON.stringify(e)).join('\n');
      // Raw fragments too: unbalanced quotes, escapes at the end, brackets outside strings.
      if (next(2) === 0) { const at = next(text.length + 1); text = text.slice(0, at) + str() + text.slice(at); }
      const b = new Uint8Array(Buffer.from(text));
      const maxEvents = 1 + next(6);
      const maxValues = 1 + next(60);
      expect(outcome(b, maxEvents, maxValues, shape), `${shape} ${maxEvents} ${maxValues} ${text}`).toBe(reference(b, maxEvents, maxValues, shape));
    }
  });
});
