// Misspellings in the free-text detector (prose.ts, issue 11): a hurried user's typo ("prcie?",
// "fre shippng?", "whn is opne enrollment") is a word the stream never used, but it is not new
// vocabulary: one edit from a word of the stream's recent texts, it says what that word says. Before
// this, a short text with a typo was a near miss of the vocabulary test, and one in a window that
// was elevated a little (other short texts, typos, a second language) was carried over it and
// reported as drift (llm-shop tuning seeds 201-210: 11 of 78 false alarms).
//
//   misspelt(w, known): w has at least minLetters letters, all of them Latin lower-case letters
//     (what is left of a typo in an English, French or Spanish text after lower-casing), and one
//     repair of it inside the word (two neighbouring letters swapped back, a doubled letter made
//     single, a dropped letter put back; the first letter kept, nothing added or dropped at either
//     end, no letter changed)
//     is a word of `known` with at least minLetters letters
//   `known` is the exact set of words of the deflate dictionary's texts (prose.ts #vocab), never the
//   long-run vocabulary: a Bloom filter answers "seen" for about 1% of unseen words, and a word has
//   about 54 × its length edits, so most words of another language would find a false neighbour there.
// A word of another language one edit from a word the stream uses ("talla" and "tall") counts as
// known too; a text in another language has many words, few of them this close to its stream's.

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const LOWER_LATIN = /^[a-z]+$/;

/**
 * True when w is a typo of a word of known with at least minLetters letters: two neighbouring letters
 * swapped ("prcie", "opne"), a letter typed twice ("thhis", "juneeenth") or one dropped inside the
 * word ("shippng", "helo"). The first letter stays (a typist seldom misses it, and "rest"/"vest",
 * "sand"/"hand" are two words), no letter is added or dropped at the end (a word and its plural are
 * two words) and no letter is changed ("pink"/"pick", "side"/"size": short words one letter apart
 * are mostly both words).
 */
export function misspelt(w: string, known: ReadonlyMap<string, number> | ReadonlySet<string>, minLetters: number): boolean {
  if (minLetters <= 0 || w.length < minLetters || !LOWER_LATIN.test(w)) return false;
  const hit = (c: string): boolean => c.length >= minLetters && known.has(c);
  for (let i = 1; i + 1 < w.length; i++) {
    if (w[i] !== w[i + 1] && hit(w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2))) return true;
    if (w[i] === w[i - 1] && hit(w.slice(0, i) + w.slice(i + 1))) return true;
    for (const c of LETTERS) if (hit(w.slice(0, i) + c + w.slice(i))) return true;
  }
  return false;
}
