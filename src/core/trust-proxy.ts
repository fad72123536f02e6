// TRUST_PROXY: which proxies may set X-Forwarded-For (and X-Forwarded-Proto) for the control API
// and the engine; parsed here, validated at start by config.ts.

/** The words a bool option (and TRUST_PROXY) accepts for true and for false. */
export const TRUE_WORDS: readonly string[] = ['1', 'true', 'yes', 'on'], FALSE_WORDS: readonly string[] = ['0', 'false', 'no', 'off'];

const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+(\/\d{1,3})?$/;

/**
 * TRUST_PROXY as Fastify's trustProxy option: false, true (trust every hop: only behind a proxy
 * that overwrites X-Forwarded-For), a number of hops, or a list of proxy addresses/CIDRs.
 */
export function parseTrustProxy(raw: string): boolean | number | string[] {
  const v = raw.trim().toLowerCase();
  if (FALSE_WORDS.includes(v)) return false;
  if (v !== '1' && TRUE_WORDS.includes(v)) return true; // 1 is a hop count
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (list.length > 0 && list.every((x) => IPV4_CIDR.test(x) || (x.includes(':') && IPV6_CIDR.test(x)))) return list;
  throw new TypeError(`TRUST_PROXY (options.trustProxy) must be false, true, a hop count or comma-separated addresses/CIDRs, got ${JSON.stringify(raw)}`);
}
