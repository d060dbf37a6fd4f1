// The tokenizer layer's public surface: loading (tokenizer.json, vocab.json +
// merges.txt, vocab.txt, SentencePiece .model, llama2.c tokenizer.bin), the
// tokenizer classes and the byte-level BPE trainer.
export type {
  BatchEncodeOptions,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  PairEncodeOptions,
  StreamDecoder,
  TextTokenizer,
  Tokenizer,
  TruncationOptions,
} from "./tokenizer.js";
export { HfTokenizer } from "./hf-tokenizer.js";
export { Llama2cTokenizer, parseLlama2cTokenizer } from "./llama2c-tokenizer.js";
export { tokenizerFromJson, type Json, type TokenizerConfig } from "./tokenizer-json.js";
export {
  loadLlama2cTokenizer,
  loadSentencePieceTokenizer,
  loadTokenizer,
  loadTokenizerJson,
  loadVocabMergesTokenizer,
  loadVocabTxtTokenizer,
  type LoadedTokenizer,
} from "./load.js";
export { parseSentencePieceModel, type SentencePieceModel } from "./sentencepiece-model.js";
export { tokenizerFromSentencePiece } from "./sentencepiece-tokenizer.js";
export { trainByteLevelBpe, type BpeTrainerOptions, type TrainingProgress } from "./bpe-trainer.js";
