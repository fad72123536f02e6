// Placeholder; the robust numeric detector replaces this.
import type { Finding, ScoreInput } from '../types.js';
export function scoreNumeric(state: Uint8Array | null, events: ScoreInput[]): { state: Uint8Array; findings: Finding[]; scored: number } {
  void state;
  return { state: new Uint8Array(0), findings: [], scored: events.length };
}
