// Tests that bucket by the wall-clock hour (usage counters, billing) break if the hour turns
// between writing a bucket and checking it. `clearOfHourTurn` waits out the last `marginMs` of
// an hour (at most that long, and only then) so the test's whole run sits inside one hour.
import { setTimeout as sleep } from 'node:timers/promises';

export const HOUR_MS = 3_600_000;

export async function clearOfHourTurn(marginMs = 90_000): Promise<void> {
  const left = HOUR_MS - (Date.now() % HOUR_MS);
  if (left <= marginMs) await sleep(left + 1_000);
}

/** The start of the current hour, minus `n` hours. */
export const hourAgo = (n: number): Date => new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - n * HOUR_MS);
