/**
 * Sentence splitting for ROUGE-Lsum, an approximation of `nltk.sent_tokenize`.
 *
 * The MLPerf Llama 2 evaluator joins the sentences NLTK's Punkt model finds with
 * "\n" before scoring, and only ROUGE-Lsum looks at those newlines (ROUGE-1/2/L
 * treat a newline like any other separator). Punkt is a trained model that is not
 * available in JavaScript; this splitter follows its main rules (a sentence ends
 * at . ! or ?, optionally followed by closing quotes or brackets, then
 * whitespace; not after a known abbreviation or a single initial; not when the
 * next word starts in lowercase), so ROUGE-Lsum is close to, but not guaranteed
 * equal to, the reference value. ROUGE-Lsum is not one of the accuracy targets
 * (reference/mlperf.md §3.3 targets rouge1, rouge2, rougeL and tokens per sample).
 */

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'eg', 'ie', 'no', 'fig', 'figs',
  'u.s', 'u.k', 'inc', 'ltd', 'co', 'corp', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct',
  'nov', 'dec', 'mt', 'ft', 'approx', 'dept', 'est', 'vol', 'gen', 'gov', 'sen', 'rep', 'rev', 'col', 'lt', 'sgt',
  'capt', 'cmdr', 'adm', 'a.m', 'p.m', 'al',
]);

const BOUNDARY = /([.!?]+)(["'”’)\]]*)(\s+)/g;

/** The sentences of a text, trimmed, in order (never empty strings). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(text); m !== null; m = BOUNDARY.exec(text)) {
    const endOfSentence = m.index + m[1]!.length + m[2]!.length;
    const next = text.slice(m.index + m[0].length, m.index + m[0].length + 1);
    if (next === '' || /[a-z]/.test(next)) continue;
    if (m[1] === '.') {
      const word = /([A-Za-z][A-Za-z.]*)$/.exec(text.slice(start, m.index))?.[1] ?? '';
      if (ABBREVIATIONS.has(word.toLowerCase()) || /^[A-Z]$/.test(word)) continue;
    }
    const sentence = text.slice(start, endOfSentence).trim();
    if (sentence) out.push(sentence);
    start = m.index + m[0].length;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push(rest);
  return out;
}
