// A tokenizer from a SentencePiece .model file, encoding as sentencepiece's
// SentencePieceProcessor does (its normalizer, then the Unigram lattice or
// BPE merges over the whole normalized text, then decoding with its rules),
// with the special tokens handled as transformers' sentencepiece-backed
// tokenizers handle them: CONTROL and UNKNOWN pieces and the added tokens of
// tokenizer_config.json are cut out of the text before encoding, and the
// tokenizer class decides what encode() adds (T5: "</s>" after each sequence;
// Llama: BOS). Classes that remap the file's ids (XLM-R's fairseq offset,
// Marian's vocab.json, …) or preprocess text (ALBERT) are refused by name:
// their tokenizer.json is the file to load.
import { ModelFormatError } from "../errors.js";
import { AddedVocabulary, type AddedToken } from "./added-tokens.js";
import { HfTokenizer } from "./hf-tokenizer.js";
import type { TokenizerModel } from "./model.js";
import { bosEosProcessor, IdentityProcessor, TemplateProcessor, type PostProcessor } from "./post-processor.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { PrefixTrie } from "./prefix-trie.js";
import { SentencePieceBpeModel } from "./sentencepiece-bpe.js";
import type { SentencePieceModel } from "./sentencepiece-model.js";
import { SentencePieceNormalizer } from "./sentencepiece-normalizer.js";
import { configModelMaxLength, specialTokenContent, type TokenizerConfig } from "./tokenizer-json.js";
import { UnigramModel } from "./unigram.js";

/** transformers tokenizer classes whose ids and text handling are the .model's own. */
const T5_CLASSES = new Set(["T5Tokenizer", "T5TokenizerFast"]);
const LLAMA_CLASSES = new Set(["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast"]);

/** T5's <extra_id_N> sentinels when the config does not list them: N counts down from the last id. */
function t5ExtraIds(model: SentencePieceModel, config: TokenizerConfig): AddedToken[] {
  const count = typeof config.extra_ids === "number" && Number.isInteger(config.extra_ids) && config.extra_ids >= 0 ? config.extra_ids : 100;
  const size = model.pieces.length + count;
  return Array.from({ length: count }, (_, n) => ({
    id: size - 1 - n,
    content: `<extra_id_${n}>`,
    special: true,
    singleWord: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
  }));
}

/**
 * Builds the tokenizer of a parsed .model file. `config` is the
 * tokenizer_config.json beside it (if any) and `configTokens` the added tokens
 * it lists; `configFile` names it in errors.
 */
export function tokenizerFromSentencePiece(model: SentencePieceModel, config: TokenizerConfig | undefined, configTokens: readonly AddedToken[], configFile: string): HfTokenizer {
  const tokenizerClass = typeof config?.tokenizer_class === "string" ? config.tokenizer_class : undefined;
  const isT5 = tokenizerClass !== undefined && T5_CLASSES.has(tokenizerClass);
  const isLlama = tokenizerClass !== undefined && LLAMA_CLASSES.has(tokenizerClass);
  if (tokenizerClass !== undefined && !isT5 && !isLlama) {
    throw new ModelFormatError(
      configFile,
      `tokenizer_class "${tokenizerClass}" changes the ids or the text of ${model.file} in its own code; lmscope reads .model files for T5 and Llama tokenizers (or without a tokenizer_class): load this model's tokenizer.json instead`,
    );
  }
  if (config?.legacy === false) {
    throw new ModelFormatError(configFile, `legacy: false (transformers' non-legacy handling of text after special tokens) is not supported for ${model.file}; load tokenizer.json instead`);
  }

  const spec = model.normalizer;
  const charsmap = spec.precompiledCharsmap.length === 0 ? PrecompiledCharsmap.identity() : PrecompiledCharsmap.parse(spec.precompiledCharsmap, model.file, "normalizer_spec.precompiled_charsmap");
  const userDefined = new PrefixTrie();
  model.pieces.forEach(({ piece, kind }, id) => {
    if (kind === "user") userDefined.set(piece, id);
  });
  const normalizer = new SentencePieceNormalizer({
    charsmap,
    userDefined: userDefined.size > 0 ? userDefined : undefined,
    addDummyPrefix: spec.addDummyPrefix,
    removeExtraWhitespaces: spec.removeExtraWhitespaces,
    escapeWhitespaces: spec.escapeWhitespaces,
  });
  const tokenizerModel: TokenizerModel =
    model.modelType === "unigram"
      ? new UnigramModel({ pieces: model.pieces, unkId: model.unkId, byteFallback: model.byteFallback, lattice: "sentencepiece", file: model.file })
      : new SentencePieceBpeModel({ pieces: model.pieces, unkId: model.unkId, byteFallback: model.byteFallback });

  // Special pieces are cut out of the text, as transformers' slow tokenizers do.
  const special: AddedToken[] = [];
  model.pieces.forEach(({ piece, kind }, id) => {
    if (kind === "control" || kind === "unknown") special.push({ id, content: piece, special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false });
  });
  const fromConfig = configTokens.length === 0 && isT5 ? t5ExtraIds(model, config!) : configTokens;
  const added = new AddedVocabulary([...special.filter((t) => !fromConfig.some((c) => c.id === t.id)), ...fromConfig]);
  const lookup = (token: string): number | undefined => added.idOf(token) ?? tokenizerModel.tokenToId(token);
  /** A special token's id: named in the config (when it names one), else the trainer's id. */
  const specialId = (key: string, trainerId: number | undefined): number | undefined => {
    if (config === undefined || !(key in config)) return trainerId;
    const content = specialTokenContent(config[key]);
    return content === undefined ? undefined : lookup(content);
  };
  const bos = specialId("bos_token", model.bosId);
  const eos = specialId("eos_token", model.eosId);

  let postProcessor: PostProcessor = new IdentityProcessor();
  if (isT5) {
    if (eos === undefined) throw new ModelFormatError(configFile, `T5 tokenizers end every sequence with eos_token, but ${model.file} has none`);
    postProcessor = new TemplateProcessor(
      [{ sequence: "A", typeId: 0 }, { special: [eos], typeId: 0 }],
      [{ sequence: "A", typeId: 0 }, { special: [eos], typeId: 0 }, { sequence: "B", typeId: 0 }, { special: [eos], typeId: 0 }],
    );
  } else if (isLlama || config?.add_bos_token === true || config?.add_eos_token === true) {
    const addBos = config?.add_bos_token === true || (isLlama && config?.add_bos_token !== false);
    postProcessor = bosEosProcessor(addBos ? bos : undefined, config?.add_eos_token === true ? eos : undefined);
  }

  return new HfTokenizer({
    source: model.file,
    normalizer,
    preTokenizer: undefined,
    model: tokenizerModel,
    postProcessor,
    decoder: { type: "SentencePiece", addDummyPrefix: spec.addDummyPrefix, removeExtraWhitespaces: spec.removeExtraWhitespaces, byteFallback: model.byteFallback },
    addedTokens: added,
    specialTokens: { bos, eos, pad: specialId("pad_token", model.padId), unk: specialId("unk_token", model.unkId) },
    cleanUpTokenizationSpaces: config?.clean_up_tokenization_spaces === true,
    modelMaxLength: configModelMaxLength(config),
  });
}
