// The second alphabet of a stream (prose.ts, issue 11): a stream whose users write a second language
// now and then (a shop's Spanish-speaking shoppers, an HR desk's French-speaking staff) keeps that
// language's letters in its recent normal texts: "¿", "á", "ñ", "é". A sentence of that language
// the stream has not seen yet is new vocabulary (its words are new), but it is written in an
// alphabet the stream already reads; a language the stream never had brings letters it never saw
// (another script, "ß", "ę", "ı") or, written in plain ASCII, none of its second alphabet at all.
//
//   knownAlphabet(x, dict, min): x (normalised, lower case) has at least one character of the
//     second alphabet (a letter or mark beyond ASCII, or "¿" / "¡") in each of its sentences that
//     has a word (a question in the second language with an instruction in the main one appended
//     is not written in it), and every such character of x occurs at least `min` times in dict
//     (the deflate dictionary's texts: the recent normal texts and the rare-kind memory of prose-rare.ts)
//   prose.ts then needs a vocabulary distance of uHalf × alphabetRelief: a prior, never a
//   finding alone, and no help to a text far beyond its threshold (a whole reply in a language a
//   few percent of the stream's answers use is still reported the first time).
const SECOND = /[\p{L}\p{M}¿¡]/u;
const SENTENCE = /(?<=[.?!])\s+/u;
const WORD = /\p{L}{3,}/u;

/** Counts of the second-alphabet characters of a text (module header). */
export function secondAlphabet(t: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of t) if (c.charCodeAt(0) > 127 && SECOND.test(c)) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

/** True when x has a second-alphabet character and each of them occurs at least min times in known (counts of the dictionary's texts). */
export function knownAlphabet(x: string, known: ReadonlyMap<string, number>, min: number): boolean {
  const mine = secondAlphabet(x);
  if (mine.size === 0) return false;
  for (const c of mine.keys()) if ((known.get(c) ?? 0) < min) return false;
  // Written in it throughout: every sentence with a word has one (not a line of it with a request in the stream's main language appended).
  for (const sentence of x.split(SENTENCE)) if (WORD.test(sentence) && secondAlphabet(sentence).size === 0) return false;
  return true;
}
