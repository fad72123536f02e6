// A regular PostgreSQL log whose vocabulary all comes in its first 40 lines (statement,
// connection and checkpoint lines, then mostly exact repeats once normalised), shared by the
// text detector's tests of the null without the warm-up (text-regular, warn-failure).
export const PG_T0 = Date.UTC(2026, 6, 25, 6, 43);

export const pgVocab = [
  (i: number) => `LOG:  duration: ${(i % 9) + 1}.${100 + (i % 800)} ms  execute S_2: SELECT * FROM cart_items WHERE cart_id = $1 ORDER BY added_at`,
  (i: number) => `[unknown]@[unknown] LOG:  connection received: host=10.8.${i % 16}.${i % 200} port=${30000 + i}`,
  (i: number) => `LOG:  connection authorized: user=orders database=shop application_name=PostgreSQL JDBC Driver pid=${i}`,
  (i: number) => `LOG:  duration: ${(i % 5) + 1}.${100 + (i % 800)} ms  execute S_3: UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2`,
  (i: number) => `LOG:  duration: ${(i % 7) + 1}.${100 + (i % 800)} ms  execute S_4: INSERT INTO orders (customer_id, total, currency, plan) VALUES ($1, $2, $3, $4)`,
  (i: number) => `LOG:  duration: ${(i % 3) + 1}.${100 + (i % 800)} ms  execute S_1: SELECT o.id, o.status, o.total FROM orders o WHERE o.id = $1`,
  (i: number) => `LOG:  disconnection: session time: 0:01:${10 + (i % 50)}.${100 + (i % 800)} user=orders database=shop host=10.8.${i % 16}.${i % 200} port=${30000 + i}`,
  (i: number) => `LOG:  automatic vacuum of table "shop.public.sessions": index scans: 1, pages: 0 removed, ${20000 + i} remain, ${i % 400} scanned`,
  (_i: number) => `LOG:  checkpoint starting: time`,
  (i: number) => `LOG:  checkpoint complete: wrote ${1000 + i} buffers (${i % 9}.${i % 10}%); 0 WAL file(s) added, 0 removed, ${i % 4} recycled`,
];

/** Line i of the log, with its time, pid and user prefix. */
export const pgLine = (i: number, text: string): string => `2026-07-25 06:${String(43 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} UTC [${20000 + ((i * 7919) % 60000)}] orders@shop ${text}`;

/** A statement's parameters: ids of 1 to 9 digits, so a new normalised line is rare but cheap. */
export const pgDetail = (i: number): string => `DETAIL:  parameters: ${Array.from({ length: 1 + (Math.floor(i / 30) % 5) }, (_, j) => `$${j + 1} = '${String(i * (j + 7)).padStart(1 + ((Math.floor(i / 30) * (j + 3)) % 7), '1')}'`).join(', ')}`;

/**
 * 450 lines a second apart: every template in the first 40 lines, then the four busy ones over
 * and over with a statement's parameters now and then; `odd` at line 400, then 49 busy lines.
 */
export function pgRegularStream(odd: string): { ts: number; text: string }[] {
  const events: { ts: number; text: string }[] = [];
  for (let i = 0; i < 400; i++) {
    const k = i < 40 ? i % pgVocab.length : i % 4 === 0 ? 0 : i % 4 === 1 ? 3 : i % 4 === 2 ? 5 : 1;
    events.push({ ts: PG_T0 + i * 1000, text: pgLine(i, i % 30 === 29 ? pgDetail(i) : pgVocab[k](i)) });
  }
  events.push({ ts: PG_T0 + 400_000, text: pgLine(400, odd) });
  for (let i = 401; i < 450; i++) events.push({ ts: PG_T0 + i * 1000, text: pgLine(i, pgVocab[i % 4 === 0 ? 0 : 5](i)) });
  return events;
}
