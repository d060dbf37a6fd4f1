// SentencePiece .model parsing: hand-built ModelProto messages, every
// truncation and random damage of a real model file, and damaged normalization
// charsmaps. Bad input is a ModelFormatError naming the file and the field,
// never another exception, a hang or an allocation the file's lengths ask for.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LmscopeError, ModelFormatError } from "../../../src/errors.js";
import { parseSentencePieceModel, tokenizerFromSentencePiece } from "../../../src/tokenizers/index.js";
import { PrecompiledCharsmap } from "../../../src/tokenizers/precompiled-charsmap.js";
import { rng } from "./fixtures.js";
import { modelBytes, pb, piece, varint } from "./unigram-fixtures.js";

const FILE = "hostile.model";

/** A small valid Unigram model: <unk>, <s>, </s> and four pieces, identity normalization, no bos/eos ids. */
function model(parts: { pieces?: number[][]; trainer?: number[][]; normalizer?: number[][]; extra?: number[][] } = {}): Uint8Array {
  const pieces = parts.pieces ?? [piece("<unk>", 0, 2), piece("<s>", 0, 3), piece("</s>", 0, 3), piece("▁", -1), piece("a", -2), piece("b", -2), piece("▁a", -1.5)];
  const trainer = parts.trainer ?? [pb.int(3, 1), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1)];
  const normalizer = parts.normalizer ?? [pb.string(1, "identity"), pb.int(3, 1)];
  return Uint8Array.from([...pieces.flat(), ...pb.message(2, ...trainer), ...pb.message(3, ...normalizer), ...(parts.extra ?? []).flat()]);
}

function build(bytes: Uint8Array): void {
  const parsed = parseSentencePieceModel(bytes, FILE);
  tokenizerFromSentencePiece(parsed, undefined, [], FILE).encode("a ba\u00e9 x");
}

const formatError = (pattern: RegExp) => (e: unknown) => e instanceof ModelFormatError && e.file === FILE && pattern.test(e.message);

describe("SentencePiece model checks", () => {
  it("reads a hand-built model", () => {
    const parsed = parseSentencePieceModel(model({ trainer: [pb.int(3, 1), pb.int(40, 0), pb.int(41, 1), pb.int(42, 2)] }), FILE);
    assert.equal(parsed.modelType, "unigram");
    assert.equal(parsed.unkId, 0);
    assert.deepEqual([parsed.bosId, parsed.eosId, parsed.padId], [1, 2, undefined]);
    const tok = tokenizerFromSentencePiece(parsed, undefined, [], FILE);
    assert.deepEqual(tok.encode("a ab"), [6, 6, 5]);
    assert.equal(tok.decode(tok.encode("a ab")), "a ab");
    // Negative int32 values take ten bytes; unknown fields are skipped.
    const withPad = model({ trainer: [pb.int(3, 1), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1), pb.int(43, -1), pb.int(99, 7)], extra: [pb.string(77, "ignored")] });
    assert.equal(parseSentencePieceModel(withPad, FILE).padId, undefined);
  });

  it("names what is wrong in malformed messages", () => {
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.from([...model(), 0x0a, ...varint(2 ** 40)]), /pieces: length ≥ 2\^32 at byte \d+ runs past the end/],
      [Uint8Array.from([...model(), 0x0a, 0x05, 1, 2]), /pieces: length 5 at byte \d+ runs past the end \(2 bytes left\)/],
      [Uint8Array.from([...model(), 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /varint longer than 10 bytes/],
      [Uint8Array.from([...model(), 0x10, 0xff]), /truncated varint/],
      [Uint8Array.from([...model(), 0x1b]), /unsupported wire type 3 \(group start\)/],
      [Uint8Array.from([...model(), 0x00]), /invalid field number/],
      [model({ pieces: [pb.message(1, pb.string(1, "<unk>"), pb.int(2, 5), pb.int(3, 2))] }), /pieces\[0\]\.score: expected a float \(wire type 5/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("x", 0, 9)] }), /pieces\[1\]\.type: unknown piece type 9/],
      [model({ pieces: [piece("<unk>", 0, 2), pb.message(1, pb.float(2, -1))] }), /pieces\[1\]\.piece: missing or empty/],
      [model({ pieces: [piece("<unk>", 0, 2), pb.message(1, pb.bytes(1, [0xc3, 0x28]))] }), /pieces\[1\]\.piece: not valid UTF-8/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("a", Number.NaN)] }), /pieces\[1\]\.score: NaN is not a finite number/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("a", -1), piece("a", -2)] }), /pieces\[2\]: "a" is already piece 1/],
      [model({ pieces: [piece("a", -1)] }), /no UNKNOWN piece/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("<unk2>", 0, 2)] }), /pieces\[1\]: a second UNKNOWN piece/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("<0x41>", 0, 6)] }), /byte piece "<0x41>" although trainer_spec\.byte_fallback is false/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("<0x41>", 0, 6)], trainer: [pb.int(35, 1), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1)] }), /only 1 of the 256 byte pieces/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("<0xZZ>", 0, 6)], trainer: [pb.int(35, 1), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1)] }), /byte piece "<0xZZ>" is not <0xXX>/],
      [model({ trainer: [pb.int(3, 3), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1)] }), /trainer_spec\.model_type: word models are not supported/],
      [model({ trainer: [pb.int(3, 1), pb.int(40, 0), pb.int(24, 1), pb.int(41, -1), pb.int(42, -1)] }), /treat_whitespace_as_suffix/],
      [model({ trainer: [pb.int(3, 1), pb.int(40, 3), pb.int(41, -1), pb.int(42, -1)] }), /trainer_spec\.unk_id is 3 but the UNKNOWN piece is 0/],
      [model({ trainer: [pb.int(3, 1), pb.int(40, 0), pb.int(42, 99)] }), /trainer_spec\.eos_id: 99 is not -1 or an id of the 7 pieces/],
      [model({ pieces: [piece("<unk>", 0, 2)], trainer: [pb.int(3, 1)] }), /trainer_spec\.bos_id: 1 is not -1 or an id of the 1 pieces/],
      [model({ trainer: [pb.string(3, "bpe"), pb.int(41, -1), pb.int(42, -1)] }), /trainer_spec\.model_type: expected an int32/],
      [model({ normalizer: [pb.int(2, 5)] }), /normalizer_spec\.precompiled_charsmap: expected bytes/],
      [model({ normalizer: [pb.bytes(2, [1, 2, 3])] }), /normalizer_spec\.precompiled_charsmap: 3 bytes/],
      [model({ extra: [pb.message(5, pb.bytes(2, [8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))] }), /denormalizer_spec: a denormalization rule set is not supported/],
      [model({ pieces: [piece("<unk>", 0, 2), piece("▁", -1), piece("x", -1, 5)], trainer: [pb.int(3, 2), pb.int(40, 0), pb.int(41, -1), pb.int(42, -1)] }), /UNUSED pieces in a BPE model/],
      [new Uint8Array(0), /no pieces/],
    ];
    for (const [bytes, pattern] of cases) assert.throws(() => build(bytes), formatError(pattern), String(pattern));
  });

  it("every truncation of a real model file is refused or read, never a crash", () => {
    const bytes = modelBytes("rules-unigram");
    let refused = 0;
    for (let length = 0; length < bytes.length; length++) {
      try {
        build(bytes.subarray(0, length));
      } catch (e) {
        assert.ok(e instanceof ModelFormatError && e.file === FILE, `length ${length}: ${String(e)}`);
        refused++;
      }
    }
    // Cuts between two whole fields can leave a valid (smaller) model; every other cut is refused.
    assert.ok(refused > bytes.length * 0.9, `${refused} of ${bytes.length} truncations refused`);
  });

  it("random damage is refused or read, and what is read still encodes", () => {
    const original = modelBytes("rules-unigram");
    const random = rng(31);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        build(bytes);
      } catch (e) {
        assert.ok(e instanceof LmscopeError, `trial ${trial}: ${String(e)}`);
      }
    }
  });
});

describe("precompiled charsmap checks", () => {
  const charsmap = parseSentencePieceModel(modelBytes("rules-unigram"), FILE).normalizer.precompiledCharsmap;
  const trieBytes = new DataView(charsmap.buffer, charsmap.byteOffset).getUint32(0, true);
  const parse = (blob: Uint8Array): PrecompiledCharsmap => PrecompiledCharsmap.parse(blob, FILE, "normalizer_spec.precompiled_charsmap");
  const error = (pattern: RegExp) => (e: unknown) => e instanceof ModelFormatError && e.file === FILE && /normalizer_spec\.precompiled_charsmap: /.test(e.message) && pattern.test(e.message);

  it("matches the rules the fixture's generator wrote", () => {
    const map = parse(charsmap);
    assert.deepEqual(map.shortestMatch("ﬁx", 0, 2), { length: 1, replacement: "fi" });
    assert.deepEqual(map.longestMatch("ﾊﾞ", 0, 2), { length: 2, replacement: "バ" });
    assert.deepEqual(map.shortestMatch("ﾊﾞ", 0, 2), { length: 1, replacement: "ハ" });
    assert.deepEqual(map.longestMatch("e\u0301", 0, 2), { length: 2, replacement: "é" });
    assert.deepEqual(map.longestMatch("\u200b", 0, 1), { length: 1, replacement: "" });
    assert.equal(map.longestMatch("abc", 0, 3), undefined);
  });

  it("refuses a damaged size, values outside the strings and replacements that are not UTF-8", () => {
    const withSize = (size: number): Uint8Array => {
      const blob = charsmap.slice();
      new DataView(blob.buffer).setUint32(0, size, true);
      return blob;
    };
    assert.throws(() => parse(withSize(0)), error(/trie size 0 must be a positive multiple of 4/));
    assert.throws(() => parse(withSize(trieBytes + 2)), error(/trie size \d+ must be a positive multiple of 4/));
    assert.throws(() => parse(withSize(charsmap.length)), error(/within the \d+ bytes after the size/));
    assert.throws(() => parse(charsmap.subarray(0, 4 + trieBytes + 1)), error(/points at byte \d+ of the 1-byte replacement strings/));
    const badStrings = charsmap.slice();
    badStrings.fill(0xff, 4 + trieBytes);
    assert.throws(() => parse(badStrings), error(/the replacement at byte \d+ \(trie unit \d+\) is not valid UTF-8/));
  });

  it("random damage to the trie is refused or read, and matching stays in bounds", () => {
    const random = rng(7);
    const text = "ﬁ Ⅳ ＡＢ e\u0301 ﾊﾞ \u200b\t日本 🙂 abc";
    for (let trial = 0; trial < 200; trial++) {
      const blob = charsmap.slice();
      for (let k = 0; k < 3; k++) blob[4 + Math.floor(random() * trieBytes)] = Math.floor(random() * 256);
      let map: PrecompiledCharsmap;
      try {
        map = parse(blob);
      } catch (e) {
        assert.ok(e instanceof ModelFormatError, String(e));
        continue;
      }
      for (let i = 0; i < text.length; i++) {
        const m = map.longestMatch(text, i, text.length);
        if (m !== undefined) assert.ok(m.length > 0 && i + m.length <= text.length && typeof m.replacement === "string");
      }
    }
  });
});
