// Token log-probabilities for the API's `logprobs`: the chosen token's and the most
// likely tokens' log-softmax of the model's logits (before penalties, temperature and
// the top-k / top-p / min-p filters, as vLLM reports them by default), and how each
// token is spelled in the answer: its text and UTF-8 bytes. A token that is only part
// of a character (a byte of byte-level BPE, a "<0xE2>" byte-fallback piece) has no
// text of its own; it is written as OpenAI writes such tokens ("bytes:\xe2\x80") and
// its `bytes` are what a client joins.

import { tokenTexts } from "../inspect/token-texts.js";
import { byteLevelTokenBytes } from "../tokenizers/byte-level.js";
import { byteFallbackValue } from "../tokenizers/decoders.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { utf8Bytes } from "../tokenizers/unicode-text.js";

export interface TokenProbability {
  readonly id: number;
  readonly logprob: number;
}

/** One generated token's log-probability and the `top` most likely alternatives. */
export interface TokenLogprob extends TokenProbability {
  readonly top: readonly TokenProbability[];
}

/**
 * log softmax(logits)[id] and the `top` largest entries (most likely first, the
 * lower id first among equals), in float64 with the maximum subtracted.
 */
export function tokenLogprob(logits: Float32Array, id: number, top: number): TokenLogprob {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const logZ = max + Math.log(sum);
  const best: number[] = []; // ids, most likely first
  for (let i = 0; i < logits.length && top > 0; i++) {
    const value = logits[i]!;
    if (best.length === top && !(value > logits[best[top - 1]!]!)) continue;
    let at = best.length === top ? top - 1 : best.length;
    while (at > 0 && value > logits[best[at - 1]!]!) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = i;
  }
  return { id, logprob: logits[id]! - logZ, top: best.map((i) => ({ id: i, logprob: logits[i]! - logZ })) };
}

export interface TokenSpelling {
  /** The token's text, or "bytes:\xNN…" for a token that is not a whole character. */
  readonly token: string;
  /** Its UTF-8 bytes. */
  readonly bytes: readonly number[];
}

const REPLACEMENT = "\ufffd";

/** A memoised function from token id to its spelling in logprobs. */
export function tokenSpeller(tokenizer: Tokenizer): (id: number) => TokenSpelling {
  const textOf = tokenTexts(tokenizer);
  const cache = new Map<number, TokenSpelling>();
  return (id: number): TokenSpelling => {
    let spelling = cache.get(id);
    if (spelling !== undefined) return spelling;
    if (!tokenizer.decode([id], { skipSpecialTokens: false }).includes(REPLACEMENT)) {
      const text = textOf(id);
      spelling = { token: text, bytes: Array.from(utf8Bytes(text)) };
    } else {
      const entry = tokenizer.idToToken(id) ?? "";
      const byte = byteFallbackValue(entry);
      const bytes = byte >= 0 ? [byte] : Array.from(byteLevelTokenBytes(entry));
      spelling = { token: `bytes:${bytes.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}`, bytes };
    }
    cache.set(id, spelling);
    return spelling;
  };
}
