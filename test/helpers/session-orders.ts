// Orders as sessions for the sequence detector's engine tests (test/engine and test/cluster
// sessions.e2e): ENTITIES orders of three steps 10 s apart in event time (a session closes 5 min
// after its last event); order ODD_AT takes a step no normal order takes.
import { seeded } from '../../src/tools/eval/generators/random.js';

/** 2026-12-04T10:00:00Z in seconds (the OpenTelemetry SDK's HrTime is [seconds, nanoseconds]). */
export const T = 1796378400;
export const ENTITIES = 120;
/** The odd entity: by then more than 50 normal sessions have closed (the warm-up), and 50 more follow to close it. */
export const ODD_AT = 70;
/** [span name, span event (the step)] */
export const NORMAL = [['reserve stock', 'stock reserved'], ['charge card', 'payment authorised'], ['ship', 'order shipped']];
export const ODD = [['reserve stock', 'stock reserved'], ['fraud review', 'manual fraud review opened'], ['ship', 'order shipped']];

/** The same orders as JSON log lines with the order id in metadata.order and a fresh trace id on every line. */
export function orderEvents(stream = 'orders'): { events: Record<string, unknown>[]; odd: string } {
  const r = seeded(3);
  const events: Record<string, unknown>[] = [];
  let odd = '';
  for (let e = 0; e < ENTITIES; e++) {
    const order = `ord-${r.hex(12)}`;
    if (e === ODD_AT) odd = order;
    (e === ODD_AT ? ODD : NORMAL).forEach(([, step], j) => {
      events.push({
        timestamp: new Date((T + e * 10) * 1000 + j * 100).toISOString(), stream_type: 'logs', stream,
        data: `INFO orders ${step} items=${1 + ((e + j) % 4)}`, metadata: { order, trace_id: r.hex(32), pod: `orders-${e % 2}` },
      });
    });
  }
  return { events, odd };
}

