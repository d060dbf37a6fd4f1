// How a token reads on screen: the text it adds after the tokens before it.
// Decoding one id alone can lose what the id holds — SentencePiece decoders strip
// the leading space of a text ("▁the" decodes to "the"), and one byte of a
// multi-byte character decodes to U+FFFD — so the text of an id is
// decode([anchor, id]) minus decode([anchor]), with a special token as the anchor
// (what TransformerLens's to_str_tokens does with its prepended BOS), and a token
// that is not a whole character shows as its vocabulary entry ("<0xE2>").

import type { Tokenizer } from "../tokenizers/tokenizer.js";

const REPLACEMENT = "\ufffd";

/** A function from token id to display text, memoised. */
export function tokenTexts(tokenizer: Tokenizer): (id: number) => string {
  const anchor = tokenizer.bosTokenId ?? tokenizer.eosTokenId ?? tokenizer.padTokenId ?? tokenizer.unkTokenId;
  const anchorText = anchor === undefined ? "" : tokenizer.decode([anchor], { skipSpecialTokens: false });
  const cache = new Map<number, string>();
  return (id: number): string => {
    let text = cache.get(id);
    if (text !== undefined) return text;
    text = tokenizer.decode([id], { skipSpecialTokens: false });
    if (anchor !== undefined && id !== anchor) {
      const joined = tokenizer.decode([anchor, id], { skipSpecialTokens: false });
      if (joined.startsWith(anchorText)) text = joined.slice(anchorText.length);
    }
    if (text.includes(REPLACEMENT)) text = tokenizer.idToToken(id) ?? text;
    cache.set(id, text);
    return text;
  };
}

/**
 * Token text for the eye: line breaks, tabs and other control characters as
 * visible symbols (↵, ⇥, the Control Pictures block), a token of spaces as ␣ per
 * space, and at most `maxLength` characters (… marks a cut).
 */
export function displayToken(text: string, maxLength = Infinity): string {
  let shown = text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === "\n") return "↵";
    if (c === "\t") return "⇥";
    return c === "\u007f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0));
  });
  if (shown.length > 0 && shown.trim() === "") shown = shown.replace(/ /g, "␣");
  const characters = Array.from(shown);
  return characters.length > maxLength ? `${characters.slice(0, Math.max(1, maxLength - 1)).join("")}…` : shown;
}
