// Training data from text files: character-level or tokenizer-based, split by
// position, sampled as random windows.
export { characterTokenizer, characterTokenizerConfig, characterTokenizerJson, characterVocabulary, encodeCharacters } from "./char-tokenizer.js";
export {
  characterDataset,
  DEFAULT_TRAIN_FRACTION,
  randomWindows,
  readTextFile,
  splitText,
  textFingerprint,
  tokenizedDataset,
  windowsAt,
  type SplitOptions,
  type TextDataset,
} from "./text-dataset.js";
