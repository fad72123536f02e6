// Who may read /metrics: anyone when METRICS_TOKEN is unset (a scraper on a private network),
// else a request carrying `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../auth/principal.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A check of one token, resolved once: `(authorization header) => allowed`. */
export const metricsAccess = (token: string | undefined) => {
  const expected = token === undefined ? undefined : sha256(token);
  return function metricsAllowed(authorization: string | undefined): boolean {
    if (expected === undefined) return true;
    const given = bearerToken(authorization);
    return given !== null && timingSafeEqual(sha256(given), expected);
  };
};

export const METRICS_PATH = '/metrics';
