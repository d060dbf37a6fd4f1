// Sentence pairs and batches on top of any tokenizer: truncation
// (longest-first, as HF `TruncationStrategy::LongestFirst`), the
// post-processor's special tokens and type ids, attention masks and padding
// to the longest sequence or to a fixed length.
import { OptionError } from "../errors.js";
import type { PostProcessor } from "./post-processor.js";
import type { BatchEncodeOptions, EncodeOptions, Encoding, PairEncodeOptions, TruncationOptions } from "./tokenizer.js";

/** What the pair and batch helpers need from a tokenizer. */
export interface EncodingContext {
  source: string;
  padTokenId: number | undefined;
  modelMaxLength: number | undefined;
  postProcessor: PostProcessor;
  /** Ids of a text without the post-processor's special tokens. */
  encodeText(text: string, options: EncodeOptions): number[];
}

export function resolveMaxLength(ctx: EncodingContext, options: TruncationOptions): number {
  const maxLength = options.maxLength ?? ctx.modelMaxLength;
  if (maxLength === undefined) throw new OptionError("maxLength", `${ctx.source} has no model_max_length; pass maxLength`);
  if (!Number.isInteger(maxLength) || maxLength < 0) throw new OptionError("maxLength", `expected a non-negative integer, got ${String(maxLength)}`);
  return maxLength;
}

/** Encodes one text or a pair with special tokens, type ids and attention mask. */
export function encodeInput(ctx: EncodingContext, a: string, b: string | undefined, options: PairEncodeOptions): Encoding {
  let first = ctx.encodeText(a, options);
  let second = b === undefined ? undefined : ctx.encodeText(b, options);
  const addSpecial = options.addSpecialTokens ?? true;
  if (options.truncation !== undefined && typeof options.truncation !== "boolean") {
    throw new OptionError("truncation", `expected true or false, got ${JSON.stringify(options.truncation)}`);
  }
  if (options.truncation === true) {
    const maxLength = resolveMaxLength(ctx, options);
    const added = addSpecial ? ctx.postProcessor.addedTokens(second !== undefined) : 0;
    if (maxLength < added) throw new OptionError("maxLength", `${maxLength} leaves no room: the special tokens alone take ${added}`);
    let excess = first.length + (second?.length ?? 0) + added - maxLength;
    while (excess-- > 0) {
      if (second !== undefined && second.length >= first.length) second.pop();
      else first.pop();
    }
  }
  const processed = addSpecial
    ? ctx.postProcessor.process(first, second)
    : { ids: [...first, ...(second ?? [])], typeIds: [...first.map(() => 0), ...(second ?? []).map(() => 1)] };
  return { ids: processed.ids, tokenTypeIds: processed.typeIds, attentionMask: processed.ids.map(() => 1) };
}

/** Encodes texts or pairs, then pads them as `options.padding` says. */
export function encodeBatch(ctx: EncodingContext, inputs: readonly (string | readonly [string, string])[], options: BatchEncodeOptions): Encoding[] {
  const padding = options.padding ?? false;
  if (padding !== false && padding !== true && padding !== "longest" && padding !== "max_length") {
    throw new OptionError("padding", `expected true, false, "longest" or "max_length", got ${JSON.stringify(padding)}`);
  }
  const side = options.paddingSide ?? "right";
  if (side !== "left" && side !== "right") throw new OptionError("paddingSide", `expected "left" or "right", got ${JSON.stringify(side)}`);
  const encodings = inputs.map((input) => (typeof input === "string" ? encodeInput(ctx, input, undefined, options) : encodeInput(ctx, input[0], input[1], options)));
  if (padding === false) return encodings;
  const target = padding === "max_length" ? resolveMaxLength(ctx, options) : Math.max(0, ...encodings.map((e) => e.ids.length));
  for (const e of encodings) {
    const n = target - e.ids.length;
    if (n <= 0) continue;
    if (ctx.padTokenId === undefined) throw new OptionError("padding", `${ctx.source} defines no pad token`);
    const pad = (list: number[], value: number): number[] => {
      const fill = new Array<number>(n).fill(value);
      return side === "left" ? [...fill, ...list] : [...list, ...fill];
    };
    e.ids = pad(e.ids, ctx.padTokenId);
    e.tokenTypeIds = pad(e.tokenTypeIds, 0);
    e.attentionMask = pad(e.attentionMask, 0);
  }
  return encodings;
}
