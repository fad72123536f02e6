// The host of a URL-shaped slot value (logs-values.ts): a slot of URLs, `host:port` targets or
// image references is high-cardinality (its paths, digests and tags vary), so a host never seen
// in it went unreported: a build's egress proxy that CONNECTs to a host no build ever fetched
// from, an image pulled from a registry no job ever used.
//
//   value https://get.buildtools.sh/install.sh     ─► host get.buildtools.sh
//         registry.npmjs-mirror.top:443             ─► host registry.npmjs-mirror.top
//         194.143.205.216:9001                      ─► host 194.143.205.216
//         ghcr-io.pkgcache.dev/tools/builder:latest ─► host ghcr-io.pkgcache.dev
//         main.go:45, handler.py:88, /var/lib/x     ─► none (a source file's line, a path)
//     ─► a field of its own beside the slot's (`name@host`), categorical: a host never seen is
//        judged as a settled slot's new word is (fields.ts observeHost), the path is ignored.
//
// A host is a DNS name of two labels or more whose last is letters only (2-24), not a source
// file's extension when it has only two labels, or an IPv4 address.

/** The field of a slot's hosts: `name@host`. */
export const HOST_SUFFIX = '@host';

/** scheme://[user@]host… */
const SCHEME_URL = /^[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\/(?:[^/?#@\s]*@)?([^/?#:\s]{1,253})(?::\d{1,5})?(?:[/?#]|$)/;
/** host:port, or host[:port]/path (an image reference: registry.acme.dev/base/node:20.11). */
const HOST_PORT = /^([A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9][A-Za-z0-9-]{0,62}){1,8})(?::(\d{1,5}))?(\/.*)?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const TLD = /^[A-Za-z]{2,24}$/;
/** A two-label name ending in one of these is a source file (main.go:45), not a host. */
const FILE_ENDINGS = new Set(['go', 'py', 'js', 'ts', 'rb', 'java', 'cc', 'cpp', 'hpp', 'rs', 'php', 'kt', 'cs', 'sh', 'pl', 'lua', 'scala', 'ex', 'exs', 'erl', 'swift', 'jsx', 'tsx', 'vue', 'sql', 'yaml', 'yml', 'json', 'xml', 'conf', 'cfg', 'ini', 'log', 'txt', 'html', 'jar', 'so', 'dll', 'exe', 'tar', 'gz', 'zip', 'pem', 'crt', 'key', 'lock', 'md', 'toml', 'properties', 'class', 'groovy', 'mjs', 'cjs']);

function hostName(h: string): boolean {
  if (IPV4.test(h)) return true;
  const labels = h.split('.');
  const tld = labels[labels.length - 1];
  if (!TLD.test(tld)) return false;
  return labels.length > 2 || !FILE_ENDINGS.has(tld.toLowerCase());
}

/** The host of a URL-shaped value (see the top of this file), lower case, or '' when it has none. */
export function hostOf(value: string): string {
  // Cheap refusal: a host has a dot, and a URL-shaped value a ':' or a '/' beside it.
  if (value.length < 5 || value.indexOf('.') < 1) return '';
  const colon = value.indexOf(':');
  const slash = value.indexOf('/');
  if (colon < 0 && slash < 0) return '';
  let h = '';
  if (colon > 0 && value.charCodeAt(colon + 1) === 47 && value.charCodeAt(colon + 2) === 47) {
    const m = SCHEME_URL.exec(value);
    if (m !== null) h = m[1];
  } else {
    const m = HOST_PORT.exec(value);
    // A host alone is a name, not a URL: it needs a port or a path (a DNS name's: 10.0.0.0/8 is a network).
    if (m !== null && (m[2] !== undefined || (m[3] !== undefined && m[3].length > 1 && !IPV4.test(m[1])))) h = m[1];
  }
  return h !== '' && hostName(h) ? h.toLowerCase() : '';
}
