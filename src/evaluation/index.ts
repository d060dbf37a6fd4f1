// Evaluation metrics for generated text, as sacreBLEU computes them: corpus
// and sentence BLEU, chrF and chrF++.
export { computeBleu, corpusBleu, sentenceBleu, type BleuOptions, type BleuScore, type BleuSmoothing, type ReferenceStreams } from "./bleu.js";
export { BLEU_TOKENIZERS, bleuTokenize, type BleuTokenizerName } from "./bleu-tokenizers.js";
export { corpusChrf, sentenceChrf, type ChrfOptions, type ChrfScore } from "./chrf.js";
export { SACREBLEU_VERSION } from "./signature.js";
