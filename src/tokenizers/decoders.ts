// The decoders of HF tokenizer.json (`decoder`, huggingface/tokenizers
// src/decoders): each maps the list of token strings to a new list, and the
// final list is joined. ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace, WordPiece, BPEDecoder and Sequence; without a decoder tokens are
// joined with spaces. Also transformers' clean_up_tokenization, and
// sentencepiece's own decoding for tokenizers read from .model files.
import { byteLevelTokenBytes } from "./byte-level.js";
import type { PrependScheme } from "./pretokenizers.js";
import { compileOnigurumaPattern } from "./regex.js";
import { SentencePieceDecoder, type SentencePieceDecoderOptions } from "./sentencepiece-decoder.js";
import { utf8DecodeLossy, utf8DecodeStrict } from "./unicode-text.js";

export type DecoderSpec =
  | { type: "ByteLevel" }
  | { type: "Replace"; pattern: { string: string } | { regex: string }; content: string }
  | { type: "ByteFallback" }
  | { type: "Fuse" }
  | { type: "Strip"; content: string; start: number; stop: number }
  | { type: "Metaspace"; replacement: string; prependScheme: PrependScheme }
  | { type: "WordPiece"; prefix: string; cleanup: boolean }
  | { type: "BPEDecoder"; suffix: string }
  | { type: "Sequence"; decoders: readonly DecoderSpec[] }
  | ({ type: "SentencePiece" } & SentencePieceDecoderOptions);

/** The byte of a "<0xXX>" token, or -1 (HF ByteFallback accepts either hex case). */
export function byteFallbackValue(token: string): number {
  if (token.length !== 6 || !token.startsWith("<0x") || token[5] !== ">") return -1;
  const hex = token.slice(3, 5);
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : -1;
}

/** Replaces every occurrence of a Replace decoder's pattern in one string. */
export function replaceAll(text: string, pattern: { string: string } | { regex: string }, content: string): string {
  if ("regex" in pattern) return text.replace(compileOnigurumaPattern(pattern.regex), () => content);
  return pattern.string === "" ? text : text.split(pattern.string).join(content);
}

/** WordPiece decoder cleanup of one token (huggingface/tokenizers decoders/wordpiece.rs). */
export function wordPieceCleanup(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" do not", " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** transformers' `clean_up_tokenization` (tokenizer_config.json clean_up_tokenization_spaces). */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** Characters that can take part in a clean_up_tokenization pattern. */
export const CLEANUP_CHARS = new Set(" .?!,'ntmsvre");

function stripToken(token: string, content: string, start: number, stop: number): string {
  const chars = Array.from(token);
  let from = 0;
  while (from < start && from < chars.length && chars[from] === content) from++;
  let to = chars.length;
  let stripped = 0;
  while (stripped < stop && to > from && chars[to - 1] === content) {
    to--;
    stripped++;
  }
  return chars.slice(from, to).join("");
}

function applyDecoder(spec: DecoderSpec, tokens: string[]): string[] {
  switch (spec.type) {
    case "ByteLevel": {
      const parts = tokens.map(byteLevelTokenBytes);
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
      return [utf8DecodeLossy(bytes)];
    }
    case "Replace":
      return tokens.map((t) => replaceAll(t, spec.pattern, spec.content));
    case "ByteFallback": {
      const out: string[] = [];
      let group: number[] = [];
      const endGroup = (): void => {
        if (group.length === 0) return;
        const text = utf8DecodeStrict(Uint8Array.from(group));
        if (text !== undefined) out.push(text);
        else for (let i = 0; i < group.length; i++) out.push("\ufffd");
        group = [];
      };
      for (const t of tokens) {
        const b = byteFallbackValue(t);
        if (b >= 0) group.push(b);
        else {
          endGroup();
          out.push(t);
        }
      }
      endGroup();
      return out;
    }
    case "Fuse":
      return [tokens.join("")];
    case "Strip":
      return tokens.map((t) => stripToken(t, spec.content, spec.start, spec.stop));
    case "Metaspace":
      return tokens.map((t, i) =>
        i === 0 && spec.prependScheme !== "never" ? t.split(spec.replacement).join("") : t.split(spec.replacement).join(" "),
      );
    case "WordPiece":
      return tokens.map((t, i) => {
        const joined = t.startsWith(spec.prefix) ? t.slice(spec.prefix.length) : i === 0 ? t : ` ${t}`;
        return spec.cleanup ? wordPieceCleanup(joined) : joined;
      });
    case "BPEDecoder":
      return tokens.map((t, i) => t.split(spec.suffix).join(i === tokens.length - 1 ? "" : " "));
    case "Sequence":
      return spec.decoders.reduce((list, d) => applyDecoder(d, list), tokens);
    case "SentencePiece": {
      const decoder = new SentencePieceDecoder(spec);
      return [...tokens.map((t) => decoder.push(t)), decoder.flush()];
    }
  }
}

/** Decodes token strings as the decoder says; with no decoder, tokens are joined with spaces. */
export function decodeTokens(spec: DecoderSpec | undefined, tokens: string[]): string {
  if (spec === undefined) return tokens.join(" ");
  return applyDecoder(spec, tokens).join("");
}
