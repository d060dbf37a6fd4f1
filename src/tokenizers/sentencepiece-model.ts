// Reads a SentencePiece model file (spiece.model, sentencepiece.bpe.model,
// tokenizer.model): the ModelProto message of sentencepiece's
// sentencepiece_model.proto, with the fields an encoder needs: the pieces
// (text, score, type), trainer_spec (model_type, byte_fallback, the
// unk/bos/eos/pad ids) and normalizer_spec (precompiled_charsmap,
// add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces). The file
// is checked as sentencepiece's ModelInterface checks it (non-empty unique
// pieces, one unknown piece, byte pieces only with byte_fallback and then all
// 256), and options that change encoding in ways lmscope does not implement
// are refused by name.
import { ModelFormatError } from "../errors.js";
import { readFields, type ProtoField } from "./protobuf.js";
import type { PieceKind, UnigramPiece } from "./unigram.js";

export interface SentencePieceNormalizerSpec {
  /** The rule set's name (nmt_nfkc, identity, …); informational. */
  name: string;
  /** sentencepiece's compiled rules; empty for none (identity). */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  file: string;
  modelType: "unigram" | "bpe";
  /** The vocabulary; a piece's index is its id. */
  pieces: UnigramPiece[];
  byteFallback: boolean;
  unkId: number;
  /** The trainer's bos/eos/pad ids, undefined when disabled (-1). */
  bosId: number | undefined;
  eosId: number | undefined;
  padId: number | undefined;
  normalizer: SentencePieceNormalizerSpec;
}

const MODEL_FIELDS = { 1: "pieces", 2: "trainer_spec", 3: "normalizer_spec", 4: "self_test_data", 5: "denormalizer_spec" };
const PIECE_FIELDS = { 1: "piece", 2: "score", 3: "type" };
const TRAINER_FIELDS = {
  3: "model_type",
  4: "vocab_size",
  24: "treat_whitespace_as_suffix",
  35: "byte_fallback",
  40: "unk_id",
  41: "bos_id",
  42: "eos_id",
  43: "pad_id",
};
const NORMALIZER_FIELDS = { 1: "name", 2: "precompiled_charsmap", 3: "add_dummy_prefix", 4: "remove_extra_whitespaces", 5: "escape_whitespaces" };
const PIECE_KINDS: Record<number, PieceKind> = { 1: "normal", 2: "unknown", 3: "control", 4: "user", 5: "unused", 6: "byte" };
const MODEL_TYPES: Record<number, string> = { 1: "unigram", 2: "bpe", 3: "word", 4: "char" };

/** The byte a "<0xXX>" piece stands for (upper-case hex, as sentencepiece writes it), or -1. */
export function bytePieceValue(piece: string): number {
  const m = /^<0x([0-9A-F]{2})>$/.exec(piece);
  return m === null ? -1 : parseInt(m[1]!, 16);
}

function readNormalizerSpec(field: ProtoField | undefined): SentencePieceNormalizerSpec {
  const spec: SentencePieceNormalizerSpec = { name: "", precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
  for (const f of field?.message(NORMALIZER_FIELDS) ?? []) {
    if (f.number === 1) spec.name = f.string();
    else if (f.number === 2) spec.precompiledCharsmap = f.bytes();
    else if (f.number === 3) spec.addDummyPrefix = f.bool();
    else if (f.number === 4) spec.removeExtraWhitespaces = f.bool();
    else if (f.number === 5) spec.escapeWhitespaces = f.bool();
  }
  return spec;
}

/** Parses the bytes of a SentencePiece .model file; `file` names it in errors. */
export function parseSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  const fields = readFields(bytes, file, "", MODEL_FIELDS);
  const fail = (detail: string): never => {
    throw new ModelFormatError(file, detail);
  };
  const pieces: UnigramPiece[] = [];
  let trainer: ProtoField | undefined;
  let normalizer: ProtoField | undefined;
  for (const f of fields) {
    if (f.number === 1) {
      const path = `pieces[${pieces.length}]`;
      const entry: UnigramPiece = { piece: "", score: 0, kind: "normal" };
      for (const p of readFields(f.bytes(), file, path, PIECE_FIELDS)) {
        if (p.number === 1) entry.piece = p.string();
        else if (p.number === 2) entry.score = p.float();
        else if (p.number === 3) {
          const type = p.int32();
          const kind = PIECE_KINDS[type];
          if (kind === undefined) fail(`${path}.type: unknown piece type ${type} (expected 1-6: NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE)`);
          entry.kind = kind!;
        }
      }
      if (entry.piece === "") fail(`${path}.piece: missing or empty`);
      if (!Number.isFinite(entry.score)) fail(`${path}.score: ${entry.score} is not a finite number`);
      pieces.push(entry);
    } else if (f.number === 2) trainer = f;
    else if (f.number === 3) normalizer = f;
    else if (f.number === 5) {
      const denormalizer = readNormalizerSpec(f);
      if (denormalizer.precompiledCharsmap.length > 0) fail("denormalizer_spec: a denormalization rule set is not supported");
    }
  }
  if (pieces.length === 0) fail("no pieces (ModelProto.pieces is empty); not a SentencePiece model?");

  let modelType = 1;
  let byteFallback = false;
  const ids = { unk_id: 0, bos_id: 1, eos_id: 2, pad_id: -1 };
  for (const f of trainer?.message(TRAINER_FIELDS) ?? []) {
    if (f.number === 3) modelType = f.int32();
    else if (f.number === 24 && f.bool()) fail("trainer_spec.treat_whitespace_as_suffix: whitespace as a suffix is not supported");
    else if (f.number === 35) byteFallback = f.bool();
    else if (f.number === 40) ids.unk_id = f.int32();
    else if (f.number === 41) ids.bos_id = f.int32();
    else if (f.number === 42) ids.eos_id = f.int32();
    else if (f.number === 43) ids.pad_id = f.int32();
  }
  if (modelType !== 1 && modelType !== 2) {
    fail(`trainer_spec.model_type: ${MODEL_TYPES[modelType] ?? modelType} models are not supported (expected 1 unigram or 2 bpe)`);
  }
  for (const [name, id] of Object.entries(ids)) {
    if (id < -1 || id >= pieces.length) fail(`trainer_spec.${name}: ${id} is not -1 or an id of the ${pieces.length} pieces`);
  }

  // The checks of sentencepiece's ModelInterface::InitializePieces.
  const seen = new Map<string, number>();
  const reserved = new Map<string, number>();
  const bytesFound = new Set<number>();
  let unkId = -1;
  pieces.forEach(({ piece, kind }, id) => {
    const table = kind === "normal" || kind === "user" || kind === "unused" ? seen : reserved;
    const before = table.get(piece);
    if (before !== undefined) fail(`pieces[${id}]: ${JSON.stringify(piece)} is already piece ${before}`);
    table.set(piece, id);
    if (kind === "unknown") {
      if (unkId >= 0) fail(`pieces[${id}]: a second UNKNOWN piece (the first is ${unkId})`);
      unkId = id;
    }
    if (kind === "byte") {
      if (!byteFallback) fail(`pieces[${id}]: byte piece ${JSON.stringify(piece)} although trainer_spec.byte_fallback is false`);
      const b = bytePieceValue(piece);
      if (b < 0) fail(`pieces[${id}]: byte piece ${JSON.stringify(piece)} is not <0xXX>`);
      bytesFound.add(b);
    }
  });
  if (unkId < 0) fail("no UNKNOWN piece (sentencepiece requires one)");
  if (unkId !== ids.unk_id) fail(`trainer_spec.unk_id is ${ids.unk_id} but the UNKNOWN piece is ${unkId}`);
  if (byteFallback && bytesFound.size !== 256) fail(`trainer_spec.byte_fallback is true but only ${bytesFound.size} of the 256 byte pieces are present`);
  if (modelType === 2 && pieces.some((p) => p.kind === "unused")) fail("UNUSED pieces in a BPE model (their resegmentation) are not supported");

  const optional = (id: number): number | undefined => (id < 0 ? undefined : id);
  return {
    file,
    modelType: modelType === 1 ? "unigram" : "bpe",
    pieces,
    byteFallback,
    unkId,
    bosId: optional(ids.bos_id),
    eosId: optional(ids.eos_id),
    padId: optional(ids.pad_id),
    normalizer: readNormalizerSpec(normalizer),
  };
}
