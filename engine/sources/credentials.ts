// The credential of an engine request, as the clients that ship logs send it, ──► `Bearer <key>`
// for the one resolver (src/core/auth/principal.ts):
//   Authorization: Bearer <key>      as it is
//   Authorization: ApiKey <key>      (Elasticsearch clients)
//   Authorization: Splunk <key>      (Splunk HEC clients)
//   Authorization: Basic b64(u:p)    the password (Loki and Elasticsearch clients); the user name
//                                    when the password is empty
//   X-API-Key: <key>                 when there is no Authorization header
// Anything else is passed on unchanged (and refused there with DW_ERR_UNAUTHORIZED).
import type { HttpRequest } from 'uWebSockets.js';

export function normalizeCredential(authorization: string, apiKeyHeader: string): string | undefined {
  const a = authorization.trim();
  if (a === '') return apiKeyHeader.trim() === '' ? undefined : `Bearer ${apiKeyHeader.trim()}`;
  const apiKey = /^(?:ApiKey|Splunk)\s+(\S+)$/i.exec(a);
  if (apiKey !== null) return `Bearer ${apiKey[1]}`;
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(a);
  if (basic !== null) {
    const text = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = text.indexOf(':');
    const secret = colon === -1 ? text : text.slice(colon + 1) || text.slice(0, colon);
    return secret === '' || /\s/.test(secret) ? a : `Bearer ${secret}`;
  }
  return a;
}

/** Reads the credential headers of a uWS request (call during the handler: HttpRequest is only valid then). */
export const credentialOf = (req: HttpRequest): string | undefined =>
  normalizeCredential(req.getHeader('authorization'), req.getHeader('x-api-key'));
