// The longest lifetime an access token may claim (MAX_ACCESS_TOKEN_LIFETIME_SECONDS), for our
// ES256 tokens (jwt.ts) and an external issuer's HS256 tokens (external.ts) alike. A token that
// claims a longer one is refused with 401 DW_ERR_TOKEN_LIFETIME, however well it is signed: a
// leaked or mis-issued token that stays valid for a year must not be accepted for a year.
//
//   exp - iat > max                       ─► refused (the token says it lives too long)
//   exp - now > max + MAX_IAT_SKEW_SECONDS ─► refused (no iat, or an iat moved forward to hide
//                                            the lifetime: exp is further ahead than any token
//                                            issued now may reach)
import { DwError } from '../errors.js';

/** How far in the future a token's iat may be (clock skew between instances); also the slack on exp - now. */
export const MAX_IAT_SKEW_SECONDS = 60;

/**
 * Throws DW_ERR_TOKEN_LIFETIME when a token's `exp` (and `iat`, when it has one) claim a
 * lifetime over `maxSeconds`. `exp` must be a number (the callers require it); `nowSeconds` is
 * the verifier's clock.
 */
export function checkLifetime(payload: { exp?: unknown; iat?: unknown }, maxSeconds: number, nowSeconds: number): void {
  const exp = payload.exp;
  if (typeof exp !== 'number') return;
  if (typeof payload.iat === 'number' && exp - payload.iat > maxSeconds) {
    throw new DwError('DW_ERR_TOKEN_LIFETIME', `the token claims to live ${Math.round(exp - payload.iat)} s (exp - iat); at most ${maxSeconds} s are accepted`,
      { maxSeconds });
  }
  if (exp - nowSeconds > maxSeconds + MAX_IAT_SKEW_SECONDS) {
    throw new DwError('DW_ERR_TOKEN_LIFETIME', `the token expires in ${Math.round(exp - nowSeconds)} s; at most ${maxSeconds} s ahead are accepted`,
      { maxSeconds });
  }
}
