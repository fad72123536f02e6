// High-entropy token normalisation for the text detector: ids, hashes, IPs, numbers and
// timestamps become class tokens that keep their magnitude (a 3-digit number becomes <N3>), so a
// fresh request id costs nothing while a 9-digit latency still differs from a 2-digit one.

// One pass, alternatives in priority order: UUID, IPv4[:port], 0x-hex, long hex/digit run, digits.
const TOKEN =
  /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b|0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b|\d+/g;

function classOf(tok: string): string {
  const c0 = tok.charCodeAt(0);
  if (tok.length === 36 && tok.charCodeAt(8) === 45 /* - */) return '<UUID>';
  if (c0 === 48 /* 0 */ && (tok.charCodeAt(1) | 32) === 120 /* x */) return `<X${tok.length - 2}>`;
  if (tok.indexOf('.') > 0) return '<IP>';
  // All digits → number with magnitude; otherwise a hex id with its length.
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c < 48 || c > 57) return `<H${tok.length}>`;
  }
  return `<N${tok.length}>`;
}

/** Normalise one line; also collapses runs of whitespace. */
export function normalise(line: string): string {
  return line.replace(TOKEN, classOf).replace(/\s+/g, ' ').trim();
}
