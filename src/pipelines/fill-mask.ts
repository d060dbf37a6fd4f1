// The fill-mask pipeline (HF FillMaskPipeline): the masked-LM head's most likely
// tokens at each [MASK] of a text, with their probabilities and the text they
// make.

import { InputError, OptionError } from "../errors.js";
import type { EncoderNetwork } from "../models/encoder.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { softmaxRow, topIndices } from "./scores.js";

export interface FillMaskOptions {
  /** Predictions per mask (default 5). */
  topK?: number;
  /** The mask token's text (default "[MASK]"). */
  maskToken?: string;
}

export interface FillMaskPrediction {
  readonly score: number;
  readonly tokenId: number;
  /** The vocabulary piece, e.g. "paris" or "##ing". */
  readonly token: string;
  /** The text with this mask filled in (special tokens left out). */
  readonly sequence: string;
}

/** One list of predictions per [MASK] in the text, in text order. */
export function fillMask(network: EncoderNetwork, tokenizer: TextTokenizer, text: string, options: FillMaskOptions = {}): FillMaskPrediction[][] {
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new OptionError("topK", `expected a positive integer, got ${String(topK)}`);
  const { head, vocabSize, architecture } = network.config;
  const maxPositions = network.maxLength;
  if (head !== "masked-lm" && head !== "pretraining") {
    throw new InputError(`fill-mask needs a masked-LM head; this model is ${architecture}`);
  }
  const maskToken = options.maskToken ?? "[MASK]";
  const maskId = tokenizer.tokenToId(maskToken);
  if (maskId === undefined) throw new InputError(`the tokenizer has no mask token ${JSON.stringify(maskToken)}`);
  const ids = tokenizer.encode(text);
  if (ids.length > maxPositions) throw new InputError(`the text is ${ids.length} tokens long, more than the model's ${maxPositions}`);
  const positions = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (positions.length === 0) throw new InputError(`the text holds no ${maskToken} token to fill`);
  const out = network.forward({ inputIds: [ids] });
  const logits = (out.predictionLogits ?? out.logits)!.data; // [1, T, vocab]
  return positions.map((position) => {
    const probabilities = softmaxRow(logits, position * vocabSize, vocabSize);
    return topIndices(probabilities, topK).map((tokenId) => {
      const filled = [...ids];
      filled[position] = tokenId;
      return {
        score: probabilities[tokenId]!,
        tokenId,
        token: tokenizer.idToToken(tokenId) ?? "",
        sequence: tokenizer.decode(filled.filter((id, i) => i === position || !tokenizer.isSpecialToken(id))),
      };
    });
  });
}
