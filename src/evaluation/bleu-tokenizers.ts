// The tokenizers sacreBLEU runs before counting n-grams (sacrebleu/tokenizers):
// "13a" (the default; mteval-v13a.pl's rules, used by WMT), "intl"
// (mteval-v14's international rules: punctuation and symbols split off except
// punctuation between digits), "char" (every character a token) and "none".
// Each returns the tokens joined by single spaces, as sacreBLEU does.
import { pythonSplit } from "./python-strings.js";

export type BleuTokenizerName = "13a" | "intl" | "char" | "none";

export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ["13a", "intl", "char", "none"];

// mteval-v13a: symbols and ASCII punctuation apart, periods and commas apart
// unless between digits, a dash after a digit apart.
const RULES_13A: [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@/])/gu, " $1 "],
  [/([^0-9])([.,])/gu, "$1 $2 "],
  [/([.,])([^0-9])/gu, " $1 $2"],
  [/([0-9])(-)/gu, "$1 $2 "],
];

const RULES_INTL: [RegExp, string][] = [
  [/(\P{N})(\p{P})/gu, "$1 $2 "],
  [/(\p{P})(\P{N})/gu, " $1 $2"],
  [/(\p{S})/gu, " $1 "],
];

function applyRules(line: string, rules: readonly [RegExp, string][]): string {
  let out = line;
  for (const [pattern, replacement] of rules) out = out.replace(pattern, replacement);
  return pythonSplit(out).join(" ");
}

function tokenize13a(line: string): string {
  let text = line.replaceAll("<skipped>", "").replaceAll("-\n", "").replaceAll("\n", " ");
  if (text.includes("&")) text = text.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  return applyRules(` ${text} `, RULES_13A);
}

/** Tokenizes one line the way sacreBLEU's tokenizer of that name does. */
export function bleuTokenize(line: string, tokenizer: BleuTokenizerName): string {
  switch (tokenizer) {
    case "13a":
      return tokenize13a(line);
    case "intl":
      return applyRules(line, RULES_INTL);
    case "char":
      return Array.from(line).join(" ");
    case "none":
      return line;
  }
}
