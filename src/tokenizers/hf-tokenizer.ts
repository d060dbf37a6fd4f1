// A tokenizer assembled from the parts of HF tokenizer.json, run in the order
// of huggingface/tokenizers `Tokenizer::encode`: added tokens are cut out of
// the raw text, each remaining segment is normalized, pre-tokenized into
// pieces and encoded by the model, and the post-processor adds the special
// tokens. Decoding maps ids to token strings and runs the decoder chain.
import { InputError, ModelFormatError } from "../errors.js";
import type { AddedVocabulary, SegmentSink } from "./added-tokens.js";
import { alignedIdentity } from "./alignment.js";
import { cleanUpTokenization, decodeTokens, type DecoderSpec } from "./decoders.js";
import { encodeBatch, encodeInput, type EncodingContext } from "./encoding.js";
import { idLimit, type TokenizerModel } from "./model.js";
import type { Normalizer } from "./normalizers.js";
import type { PostProcessor } from "./post-processor.js";
import type { PreTokenizer } from "./pretokenizers.js";
import { TokenStreamDecoder } from "./stream-decoder.js";
import type { BatchEncodeOptions, DecodeOptions, EncodeOptions, Encoding, PairEncodeOptions, StreamDecoder, TextTokenizer } from "./tokenizer.js";
import { toWellFormed } from "./unicode-text.js";

export interface SpecialTokenIds {
  bos?: number | undefined;
  eos?: number | undefined;
  pad?: number | undefined;
  unk?: number | undefined;
}

export interface HfTokenizerParts {
  /** Where the tokenizer came from, for messages. */
  source: string;
  normalizer: Normalizer | undefined;
  preTokenizer: PreTokenizer | undefined;
  model: TokenizerModel;
  postProcessor: PostProcessor;
  decoder: DecoderSpec | undefined;
  addedTokens: AddedVocabulary;
  specialTokens: SpecialTokenIds;
  cleanUpTokenizationSpaces: boolean;
  modelMaxLength: number | undefined;
}

export class HfTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  /** True when encode() with addSpecialTokens puts BOS first. */
  readonly addBosToken: boolean;
  readonly modelMaxLength: number | undefined;
  readonly source: string;
  private readonly parts: HfTokenizerParts;
  private readonly context: EncodingContext;

  constructor(parts: HfTokenizerParts) {
    this.parts = parts;
    this.source = parts.source;
    let size = parts.model.size;
    const limit = idLimit(parts.model.size + parts.addedTokens.size);
    for (const t of parts.addedTokens.tokens) {
      if (t.id >= limit) {
        throw new ModelFormatError(
          parts.source,
          `added token ${JSON.stringify(t.content)} has id ${t.id}, far past the vocabulary (${parts.model.size} model ids, ${parts.addedTokens.size} added tokens; ids must stay below ${limit})`,
        );
      }
      size = Math.max(size, t.id + 1);
    }
    this.vocabSize = size;
    this.bosTokenId = parts.specialTokens.bos;
    this.eosTokenId = parts.specialTokens.eos;
    this.padTokenId = parts.specialTokens.pad;
    this.unkTokenId = parts.specialTokens.unk;
    this.modelMaxLength = parts.modelMaxLength;
    const probe = parts.postProcessor.process([], undefined).ids;
    this.addBosToken = this.bosTokenId !== undefined && probe[0] === this.bosTokenId;
    this.context = {
      source: parts.source,
      padTokenId: this.padTokenId,
      modelMaxLength: this.modelMaxLength,
      postProcessor: parts.postProcessor,
      encodeText: (text, options) => this.encodeWithoutSpecial(text, options.splitSpecialTokens ?? false),
    };
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.encodeWithoutSpecial(text, options.splitSpecialTokens ?? false);
    if (options.addSpecialTokens === false || this.parts.postProcessor.addedTokens(false) === 0) return ids;
    return this.parts.postProcessor.process(ids, undefined).ids;
  }

  /**
   * Ids with the span [start, end) of `text` (UTF-16 units, as String#slice
   * takes them) that each token came from; tokens added by the post-processor
   * get [0, 0]. A byte-level token holding part of a character spans the
   * whole character.
   */
  encodeWithOffsets(text: string, options: EncodeOptions = {}): { ids: number[]; offsets: [number, number][] } {
    const ids: number[] = [];
    const spans: number[] = [];
    const { normalizer, preTokenizer, model, addedTokens } = this.parts;
    const withSpecial = !(options.splitSpecialTokens ?? false);
    const rawSink: SegmentSink = {
      token: (id, offset, length) => {
        ids.push(id);
        spans.push(offset, offset + length);
      },
      text: (segment, offset) => {
        const identity = alignedIdentity(segment, offset);
        const aligned = normalizer === undefined ? identity : normalizer.normalizeAligned(identity);
        const last = aligned.text.length - 1;
        /** Maps a span of the normalized segment back to the original text. */
        const original = (start: number, end: number): void => {
          const s = Math.min(Math.max(start, 0), last);
          const e = Math.min(Math.max(end, 1), last + 1);
          spans.push(aligned.starts[s]!, Math.max(aligned.starts[s]!, aligned.ends[e - 1]!));
        };
        const normalizedSink: SegmentSink = {
          token: (id, at, length) => {
            ids.push(id);
            original(at, at + length);
          },
          text: (part, at) => {
            const encodePiece = (piece: string, pieceOffset: number): void => {
              const pieceSpans: number[] = [];
              model.tokenizeWithSpans(piece, ids, pieceSpans);
              for (let k = 0; k < pieceSpans.length; k += 2) original(at + pieceOffset + pieceSpans[k]!, at + pieceOffset + pieceSpans[k + 1]!);
            };
            if (preTokenizer === undefined) encodePiece(part, 0);
            else preTokenizer.split(part, encodePiece, offset === 0 && at === 0);
          },
        };
        addedTokens.splitNormalized(aligned.text, 0, normalizedSink, withSpecial);
      },
    };
    addedTokens.splitRaw(toWellFormed(text), rawSink, withSpecial);
    const offsets: [number, number][] = [];
    for (let k = 0; k < spans.length; k += 2) offsets.push([spans[k]!, spans[k + 1]!]);
    if (options.addSpecialTokens === false) return { ids, offsets };
    // Run the post-processor on markers -1, -2, … to see where the sequence's tokens land.
    const markers = ids.map((_, i) => -1 - i);
    const placed = this.parts.postProcessor.process(markers, undefined).ids;
    return {
      ids: placed.map((m) => (m < 0 ? ids[-1 - m]! : m)),
      offsets: placed.map((m) => (m < 0 ? offsets[-1 - m]! : [0, 0])),
    };
  }

  /** Encodes a sentence pair with token type ids (BERT: [CLS] A [SEP] B [SEP]). */
  encodePair(a: string, b: string, options: PairEncodeOptions = {}): Encoding {
    return encodeInput(this.context, a, b, options);
  }

  /** Encodes many texts or pairs, with optional truncation and padding to a common length. */
  encodeBatch(inputs: readonly (string | readonly [string, string])[], options: BatchEncodeOptions = {}): Encoding[] {
    return encodeBatch(this.context, inputs, options);
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (const id of ids) {
      const token = this.tokenForDecode(id, skip);
      if (token !== undefined) tokens.push(token);
    }
    const text = decodeTokens(this.parts.decoder, tokens);
    return options.cleanUpTokenizationSpaces ?? this.parts.cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
  }

  decodeStream(options: DecodeOptions = {}): StreamDecoder {
    const skip = options.skipSpecialTokens ?? false;
    return new TokenStreamDecoder(
      this.parts.decoder,
      (id) => this.tokenForDecode(id, skip),
      options.cleanUpTokenizationSpaces ?? this.parts.cleanUpTokenizationSpaces,
    );
  }

  idToToken(id: number): string | undefined {
    return this.parts.addedTokens.get(id)?.content ?? this.parts.model.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.parts.addedTokens.idOf(token) ?? this.parts.model.tokenToId(token);
  }

  /** Whether an id is a special added token (left out by skipSpecialTokens). */
  isSpecialToken(id: number): boolean {
    return this.parts.addedTokens.isSpecial(id);
  }

  private tokenForDecode(id: number, skipSpecial: boolean): string | undefined {
    const added = this.parts.addedTokens.get(id);
    if (added !== undefined) return skipSpecial && added.special ? undefined : added.content;
    const token = Number.isInteger(id) ? this.parts.model.idToToken(id) : undefined;
    if (token === undefined) throw new InputError(`token id ${String(id)} is not in the vocabulary of ${this.source} (size ${this.vocabSize})`);
    return token;
  }

  private encodeWithoutSpecial(text: string, splitSpecialTokens: boolean): number[] {
    const ids: number[] = [];
    const { normalizer, preTokenizer, model, addedTokens } = this.parts;
    const encodePiece = (piece: string): void => model.tokenize(piece, ids);
    const onToken = (id: number): void => {
      ids.push(id);
    };
    const normalizedSink: SegmentSink = {
      text: (segment, offset) => {
        if (preTokenizer === undefined) model.tokenize(segment, ids);
        else preTokenizer.split(segment, encodePiece, offset === 0);
      },
      token: onToken,
    };
    const rawSink: SegmentSink = {
      text: (segment, offset) => {
        const normalized = normalizer === undefined ? segment : normalizer.normalize(segment);
        addedTokens.splitNormalized(normalized, offset, normalizedSink, !splitSpecialTokens);
      },
      token: onToken,
    };
    addedTokens.splitRaw(toWellFormed(text), rawSink, !splitSpecialTokens);
    return ids;
  }
}
