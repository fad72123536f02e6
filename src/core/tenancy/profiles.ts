// Per-stream detection profiles: what the control API stores in stream_settings and what the
// engine's scorer turns into a task threshold (and a session field). Logic only, no I/O.
//
//   profile (sensitive 0.4 | balanced 0.5 | strict 0.65) + threshold_offset (feedback, within
//   [-0.15, 0.2]) ─► clamp [0.3, 0.85] ─► ScoreTask.threshold

/** A stream's session field (stream_settings.session_field): a metadata field name; the detector's contract holds the pattern. */
export { SESSION_FIELD_PATTERN } from '../../../workers/types.js';

export const PROFILES = Object.freeze(['sensitive', 'balanced', 'strict'] as const);
export type Profile = (typeof PROFILES)[number];

/** Base finding threshold per profile (balanced = the detectors' default 0.5). */
export const PROFILE_THRESHOLDS: Readonly<Record<Profile, number>> = Object.freeze({ sensitive: 0.4, balanced: 0.5, strict: 0.65 });

export const THRESHOLD_MIN = 0.3;
export const THRESHOLD_MAX = 0.85;
export const OFFSET_MIN = -0.15;
export const OFFSET_MAX = 0.2;
/** How far one piece of feedback moves the stream's offset. */
export const FEEDBACK_STEP = Object.freeze({ false_positive: 0.02, confirmed: -0.01 });
export type Feedback = keyof typeof FEEDBACK_STEP;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** The threshold a task gets: the profile's base plus the offset, within [0.3, 0.85], rounded to 1e-6. */
export function effectiveThreshold(profile: Profile, offset: number): number {
  const base = PROFILE_THRESHOLDS[profile] ?? PROFILE_THRESHOLDS.balanced;
  const off = Number.isFinite(offset) ? clamp(offset, OFFSET_MIN, OFFSET_MAX) : 0;
  return Math.round(clamp(base + off, THRESHOLD_MIN, THRESHOLD_MAX) * 1e6) / 1e6;
}
