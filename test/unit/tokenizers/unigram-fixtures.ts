// The committed Unigram / SentencePiece fixtures of test/fixtures/unigram
// (made by scripts/refs/make-unigram-fixtures.py): three tiny .model files,
// tokenizer.json conversions of the two Unigram ones and the reference
// implementations' outputs on a list of test strings. Also a protocol-buffers
// writer, to build hostile .model files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSentencePieceModel, tokenizerFromJson, tokenizerFromSentencePiece, type HfTokenizer, type Json } from "../../../src/tokenizers/index.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

export const UNIGRAM_FIXTURES = join(TEST_FIXTURES, "unigram");

export type FixtureModel = "rules-unigram" | "plain-unigram" | "plain-bpe";

export interface FixtureLine {
  text: string;
  spm_ids: number[];
  spm_decoded: string;
  /** tokenizers' outputs, for the models with a tokenizer.json. */
  ids?: number[];
  offsets?: [number, number][];
  decoded?: string;
  decoded_skip_special?: string;
}

export function fixtureLines(model: FixtureModel): FixtureLine[] {
  const all = JSON.parse(readFileSync(join(UNIGRAM_FIXTURES, "expected.json"), "utf8")) as Record<FixtureModel, FixtureLine[]>;
  return all[model];
}

export function modelBytes(model: FixtureModel): Uint8Array {
  return new Uint8Array(readFileSync(join(UNIGRAM_FIXTURES, `${model}.model`)));
}

/** The .model file as a tokenizer (no tokenizer_config.json). */
export function sentencePieceTokenizer(model: FixtureModel): HfTokenizer {
  const file = join(UNIGRAM_FIXTURES, `${model}.model`);
  return tokenizerFromSentencePiece(parseSentencePieceModel(modelBytes(model), file), undefined, [], file);
}

export function unigramJson(model: "rules-unigram" | "plain-unigram"): { [key: string]: Json } {
  return JSON.parse(readFileSync(join(UNIGRAM_FIXTURES, `${model}.tokenizer.json`), "utf8")) as { [key: string]: Json };
}

export function unigramJsonTokenizer(model: "rules-unigram" | "plain-unigram"): HfTokenizer {
  return tokenizerFromJson(unigramJson(model), undefined, `${model}.tokenizer.json`);
}

/** A code-point offset of `text` (a Python string index) as a UTF-16 offset. */
export function utf16Offset(text: string, codePoint: number): number {
  let units = 0;
  let seen = 0;
  for (const ch of text) {
    if (seen === codePoint) break;
    units += ch.length;
    seen++;
  }
  return units;
}

// Protocol buffers wire format, for building test messages.

export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number): number[] => varint((field << 3) | wire);

export const pb = {
  int: (field: number, value: number | bigint): number[] => [...key(field, 0), ...varint(value)],
  float: (field: number, value: number): number[] => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return [...key(field, 5), ...b];
  },
  bytes: (field: number, value: Uint8Array | number[]): number[] => [...key(field, 2), ...varint(value.length), ...value],
  string: (field: number, value: string): number[] => pb.bytes(field, Array.from(new TextEncoder().encode(value))),
  message: (field: number, ...parts: number[][]): number[] => pb.bytes(field, parts.flat()),
};

/** A SentencePiece piece message (ModelProto field 1). */
export function piece(text: string, score: number, type = 1): number[] {
  return pb.message(1, pb.string(1, text), pb.float(2, score), pb.int(3, type));
}
