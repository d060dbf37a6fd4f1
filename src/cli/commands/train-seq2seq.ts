// `lmscope train-seq2seq`: train an encoder–decoder (by default a small original
// Transformer) on source–target pairs with teacher forcing and label smoothing, on
// the training loop of `lmscope train`: progress line, periodic validation, atomic
// checkpoints that `lmscope generate` loads, loss.svg, exact resumption. At the end
// it translates the validation sources greedily and reports the exact-match rate.

import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "../command.js";
import { ConfigError, InputError, OptionError } from "../../errors.js";
import { createModel, loadModel } from "../../language-model.js";
import type { JsonObject } from "../../models/config-reader.js";
import type { Seq2SeqBatch } from "../../models/seq2seq/encoder-decoder.js";
import { isSeq2SeqModelType, SEQ2SEQ_MODEL_TYPES } from "../../models/seq2seq/registry.js";
import type { Seq2SeqModel } from "../../seq2seq-model.js";
import { loadTokenizer } from "../../tokenizers/load.js";
import type { Tokenizer } from "../../tokenizers/tokenizer.js";
import { TRAINER_STATE_FILE } from "../../training/checkpoint.js";
import {
  encodePairs,
  PairBatches,
  pairCharacterTokenizer,
  pairCharacterTokenizerConfig,
  pairCharacterTokenizerJson,
  parsePairs,
  splitPairs,
  type EncodedPair,
  type PairSpecialIds,
} from "../../training/data/translation-pairs.js";
import type { PerplexityResult } from "../../training/perplexity.js";
import { runConfigFromJson, runConfigToJson, type RunConfig } from "../../training/train-config.js";
import type { TrainableModel } from "../../training/trainable.js";
import { Trainer } from "../../training/trainer.js";
import { applySettings, copyTokenizerFiles } from "./train.js";
import { formatDuration, progressFromJson, runWithCheckpoints } from "./training-run.js";
import { startTraining } from "./training-start.js";

/** Presets by name: a small original Transformer (Vaswani et al. 2017, scaled down) and its training. */
export const SEQ2SEQ_PRESETS: Readonly<Record<string, JsonObject>> = {
  "transformer-tiny": {
    model: { model_type: "transformer", d_model: 64, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 256, decoder_ffn_dim: 256 },
    data: { tokenizer: "char", train_fraction: 0.9 },
    label_smoothing: 0.1,
    max_iters: 2000,
    batch_size: 32,
    block_size: 64,
    learning_rate: 1e-3,
    min_lr: 1e-4,
    warmup_iters: 100,
    lr_decay_iters: 2000,
    weight_decay: 0.01,
    beta1: 0.9,
    beta2: 0.98,
    grad_clip: 1.0,
    dropout: 0.1,
    eval_interval: 250,
    eval_iters: 10,
    checkpoint_interval: 250,
    seed: 1337,
  },
};

/** Validation sources translated at the end for the exact-match rate. */
const EXACT_MATCH_PAIRS = 200;

const usage = `usage: lmscope train-seq2seq --data <pairs.tsv> --out <dir> [options]
       lmscope train-seq2seq --resume --out <dir>

Trains an encoder–decoder on source–target pairs (one "source<TAB>target" per line;
the first 90% of the lines train, the rest validate) with teacher forcing: the
decoder reads the target shifted right and predicts each next token, with label
smoothing. Prints a progress line and the validation loss every eval_interval steps;
checkpoints into --out (config.json, model.safetensors, tokenizer.json, optimizer
state, trainer_state.json, loss.svg; \`lmscope generate --model <dir>\` translates).
Ends with the loss over every validation pair and the share of validation sources
translated exactly (greedy decoding).

  --data <file>             the pairs (UTF-8 TSV)
  --out <dir>               checkpoint folder (written atomically)
  --config <json|preset>    run configuration: nanoGPT's field names as for \`lmscope train\`
                            (max_iters, batch_size, learning_rate, …; block_size is the
                            longest source or target in tokens), label_smoothing, and a
                            "model" object of config.json fields (model_type "transformer",
                            "t5", "bart" or "marian"), or a preset:
                            ${Object.keys(SEQ2SEQ_PRESETS).join(", ")} (default transformer-tiny)
  --set <key>=<value>       override one configuration field (repeatable)
  --tokenizer <path>        encode with this tokenizer (it needs eos and pad tokens)
                            instead of characters
  --resume                  continue the run checkpointed in --out
  --backend <js|wasm|auto>  compute backend (default auto)
  --threads <n>             threads for the wasm backend
  --log-interval <n>        steps between progress lines when stderr is not a terminal (default 10)
`;

interface Seq2SeqRun {
  run: RunConfig;
  labelSmoothing: number;
}

/** A preset or JSON file with --set applied, read as a run configuration plus label_smoothing. */
async function readSeq2SeqRunConfig(configArg: string, sets: readonly string[], tokenizer: string | undefined): Promise<Seq2SeqRun> {
  let json: Record<string, unknown>;
  if (Object.hasOwn(SEQ2SEQ_PRESETS, configArg)) json = structuredClone(SEQ2SEQ_PRESETS[configArg]!) as Record<string, unknown>;
  else {
    const text = await readFile(configArg, "utf8").catch((error: Error) => {
      throw new OptionError("--config", `${JSON.stringify(configArg)} is neither a preset (${Object.keys(SEQ2SEQ_PRESETS).join(", ")}) nor a readable file: ${error.message}`);
    });
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(configArg, `not valid JSON (${(error as Error).message})`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError(configArg, "expected a JSON object");
  }
  applySettings(json, sets);
  if (tokenizer !== undefined) json["data"] = { ...(json["data"] as object | undefined), tokenizer: resolve(tokenizer) };
  return seq2seqRunFromJson(json, Object.hasOwn(SEQ2SEQ_PRESETS, configArg) ? `preset ${configArg}` : configArg);
}

function seq2seqRunFromJson(json: Record<string, unknown>, source: string): Seq2SeqRun {
  const { label_smoothing: smoothing, ...rest } = json;
  const labelSmoothing = smoothing ?? 0;
  if (typeof labelSmoothing !== "number" || !(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new ConfigError(source, `label_smoothing: expected a number in [0, 1), got ${JSON.stringify(smoothing)}`);
  }
  const model = (rest["model"] ?? {}) as Record<string, unknown>;
  const run = runConfigFromJson({ ...rest, model: { model_type: "transformer", ...model } }, source);
  if (!isSeq2SeqModelType(run.model["model_type"])) {
    throw new ConfigError(source, `model.model_type ${JSON.stringify(run.model["model_type"])} is not an encoder–decoder (supported: ${SEQ2SEQ_MODEL_TYPES.join(", ")})`);
  }
  return { run, labelSmoothing };
}

/** The tokenizer of a run and the special ids batches need. */
function specialIdsOf(tokenizer: Tokenizer, source: string): PairSpecialIds {
  const { eosTokenId: eos, padTokenId: pad, bosTokenId: bos } = tokenizer;
  if (eos === undefined || pad === undefined) throw new InputError(`${source}: training a seq2seq model needs a tokenizer with eos and pad tokens`);
  return { eos, pad, decoderStart: bos ?? pad };
}

export const trainSeq2SeqCommand: Command = {
  name: "train-seq2seq",
  summary: "train an encoder–decoder on source–target pairs (teacher forcing)",
  usage,
  async run(argv, io) {
    const { out, logInterval, backend, config: setup, dataPath, text, fingerprint, saved } = await startTraining(argv, {
      kind: "train-seq2seq",
      defaultConfig: "transformer-tiny",
      fromJson: seq2seqRunFromJson,
      read: readSeq2SeqRunConfig,
    });
    const { run, labelSmoothing } = setup;
    const pairs = parsePairs(text, dataPath);
    const characterJson = run.data.tokenizer === "char" ? pairCharacterTokenizerJson(pairs) : null;
    const tokenizer = characterJson !== null ? pairCharacterTokenizer(characterJson) : await loadTokenizer(run.data.tokenizer);
    const ids = specialIdsOf(tokenizer, run.data.tokenizer);
    const encoded = encodePairs(tokenizer, pairs, ids.eos);
    const { blockSize } = run.training;
    const tooLong = encoded.findIndex((p) => p.source.length > blockSize || p.target.length > blockSize);
    if (tooLong !== -1) {
      throw new InputError(`pair ${tooLong + 1} of ${dataPath} has ${Math.max(encoded[tooLong]!.source.length, encoded[tooLong]!.target.length)} tokens on one side (eos included), more than block_size ${blockSize}; raise block_size (--set block_size=…)`);
    }
    const { train, validation } = splitPairs(encoded, run.data.trainFraction);

    const model =
      saved === undefined
        ? await createModel<Seq2SeqModel>(
            {
              ...run.model,
              vocab_size: tokenizer.vocabSize,
              pad_token_id: ids.pad,
              eos_token_id: ids.eos,
              decoder_start_token_id: ids.decoderStart,
              ...(tokenizer.bosTokenId === undefined ? {} : { bos_token_id: tokenizer.bosTokenId }),
              // generation's default length limit (transformers' 20 otherwise): the longest target trained on
              max_length: blockSize + 1,
            },
            { seed: run.training.seed, tokenizer, backend },
          )
        : await loadModel<Seq2SeqModel>(out, { backend });
    if (model.kind !== "seq2seq") throw new InputError(`${out} does not hold an encoder–decoder model`);
    const trainable: TrainableModel<Seq2SeqBatch> = {
      loss: (batch, options) => model.loss(batch, { ...options, labelSmoothing }),
      evaluate: (batch) => model.evaluate(batch),
      namedParameters: () => model.namedParameters(),
      save: (dir) => model.save(dir),
    };
    const trainer = new Trainer(
      trainable,
      new PairBatches(train, validation, ids),
      run.training,
      saved === undefined ? undefined : { progress: progressFromJson(saved.trainerState, join(out, TRAINER_STATE_FILE)), optimizer: saved.optimizer },
    );
    if (saved === undefined) {
      io.stderr.write(
        `training ${String(run.model["model_type"])} (${model.info().parameters.toLocaleString("en-US")} parameters) on ${dataPath}: ` +
          `${train.length} training and ${validation.length} validation pairs, vocabulary ${tokenizer.vocabSize}, label smoothing ${labelSmoothing}\n`,
      );
    }
    const describeFinal = (r: PerplexityResult) => `validation loss ${r.loss.toFixed(4)} (perplexity ${r.perplexity.toFixed(3)}) over ${r.windows} validation pairs, ${r.tokens} target tokens`;
    const progress = await runWithCheckpoints({
      trainer,
      out,
      io,
      title: `lmscope train-seq2seq: ${String(run.model["model_type"])} on ${dataPath.split(/[\\/]/).pop()}`,
      logInterval,
      describeFinal,
      stateFields: {
        kind: "train-seq2seq",
        run: { ...runConfigToJson(run), label_smoothing: labelSmoothing },
        data: { file: dataPath, fingerprint, train_pairs: train.length, validation_pairs: validation.length, vocab_size: tokenizer.vocabSize },
      },
      writeModel: async (dir) => {
        await model.save(dir);
        if (characterJson !== null) {
          await writeFile(join(dir, "tokenizer.json"), `${JSON.stringify(characterJson)}\n`);
          await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(pairCharacterTokenizerConfig(), null, 2)}\n`);
        } else if (saved === undefined) await copyTokenizerFiles(run.data.tokenizer, dir);
      },
    });
    if (progress.finalValidation !== null) io.stdout.write(`${describeFinal(progress.finalValidation)}\n`);
    const { exact, total } = await exactMatches(model, validation.slice(0, EXACT_MATCH_PAIRS), ids.eos, blockSize);
    io.stdout.write(`exact match ${exact}/${total} (${((100 * exact) / total).toFixed(1)}%) of the validation sources, translated greedily\n`);
    io.stdout.write(`${progress.iteration} steps in ${formatDuration(progress.elapsedMs)}; checkpoint in ${out}\n`);
    return 0;
  },
};

/** How many sources the model translates (greedy) exactly into their targets. */
async function exactMatches(model: Seq2SeqModel, pairs: readonly EncodedPair[], eos: number, blockSize: number): Promise<{ exact: number; total: number }> {
  const maxTokens = Math.min(blockSize, model.config.maxTargetPositions);
  const outputs = await model.generateSequences(pairs.map((p) => ({ ids: p.source })), { numBeams: 1, maxTokens, doSample: false, eosTokenId: eos });
  const exact = outputs.filter((sequences, i) => sequences[0]!.ids.join(" ") === pairs[i]!.target.join(" ")).length;
  return { exact, total: pairs.length };
}
