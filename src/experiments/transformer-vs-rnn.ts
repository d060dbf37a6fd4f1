// `transformer-vs-rnn`: the textbook's comparison, at a budget this machine can
// run. A 2-block decoder (width 128, 8 heads, RoPE, RMSNorm, ReLU MLP) against
// recurrent language models — the Elman RNN of the textbook, an LSTM and a GRU,
// 2 layers each, their width chosen so that their parameter count matches the
// decoder's — with the same tokenizer (byte-level BPE learned on the training
// part), the same data, contexts of 30 tokens, AdamW at lr 1e-3, and the same
// number of steps. Reported: exact parameter
// counts beside the 12·L·d² estimate, held-out perplexity, training time and
// tokens per second, and every loss curve on one plot. The textbook's numbers
// (a news corpus, a 32k vocabulary, batch 128): decoder 55.19, Elman RNN 72.23.

import { createModel } from "../language-model.js";
import type { JsonObject } from "../models/config-reader.js";
import type { TrainableModel } from "../training/trainable.js";
import { bpeTokens } from "./corpus.js";
import { count, fmt, parameterCount, type Experiment } from "./experiment.js";
import type { ExperimentReport } from "./report.js";
import { heldOutLoss, trainModel, type TrainSettings } from "./train-run.js";

type Cell = "rnn" | "lstm" | "gru";

const CELL_LABELS: Record<Cell, string> = { rnn: "Elman RNN", lstm: "LSTM", gru: "GRU" };
const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };
const CONTEXT = 30;
/** The full run's steps: what a shared two-core machine trains four models for in well under an hour. */
const FULL_STEPS = 150;
const LAYERS = 2;

/** Parameters of a torch-style recurrent LM: embedding, L layers of W_ih, W_hh and both biases, an untied head with bias. */
export function recurrentParameters(cell: Cell, vocab: number, width: number, layers: number): number {
  const g = GATES[cell];
  let total = vocab * width + vocab * width + vocab; // embedding, head weight, head bias
  for (let l = 0; l < layers; l++) total += g * width * (width + width) + 2 * g * width; // in = width (embedding_dim = hidden_size)
  return total;
}

/** The width whose recurrent LM comes closest to `target` parameters. */
export function matchingWidth(cell: Cell, vocab: number, layers: number, target: number): number {
  let best = 1;
  for (let width = 1; width <= 4096; width++) {
    if (Math.abs(recurrentParameters(cell, vocab, width, layers) - target) < Math.abs(recurrentParameters(cell, vocab, best, layers) - target)) best = width;
    if (recurrentParameters(cell, vocab, width, layers) > target) break;
  }
  return best;
}

interface Row {
  readonly key: string;
  readonly label: string;
  readonly shape: string;
  readonly parameters: number;
  /** Parameters outside the embedding table and the LM head. */
  readonly body: number;
  /** 12·L·d² (the decoder) or g·L·2d² (a recurrent model's gate matrices). */
  readonly estimate: string;
  readonly loss: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly losses: number[];
}

export const transformerVsRnnExperiment: Experiment = {
  name: "transformer-vs-rnn",
  summary: "the textbook's 2-block decoder against Elman, LSTM and GRU language models of matched parameter count",
  async run({ quick, seed, corpus, backend, progress }): Promise<ExperimentReport> {
    const vocab = quick ? 300 : 1024;
    progress.note(`learning a byte-level BPE of ${vocab} tokens on the training part…`);
    const data = bpeTokens(corpus, vocab);
    const width = quick ? 32 : 128;
    const heads = quick ? 4 : 8;
    const batchSize = quick ? 8 : 16;
    const steps = quick ? 20 : FULL_STEPS;
    const settings: TrainSettings = { steps, batchSize, blockSize: CONTEXT, learningRate: 1e-3, seed };
    const evalTokens = Math.min(data.validation.length, quick ? 1500 : 60000);
    const rows: Row[] = [];

    const train = async (key: string, label: string, shape: string, model: TrainableModel, body: number, estimate: string): Promise<void> => {
      const trained = await trainModel(model, data, settings, progress, `train ${label}`);
      const heldOut = await heldOutLoss(model, data.validation, CONTEXT, evalTokens);
      const parameters = parameterCount(model);
      progress.note(`${label}: ${count(parameters)} parameters, held-out perplexity ${fmt(heldOut.perplexity)}`);
      rows.push({ key, label, shape, parameters, body, estimate, loss: heldOut.loss, seconds: trained.seconds, tokensPerSecond: trained.tokensPerSecond, losses: trained.losses });
    };

    const decoderConfig: JsonObject = {
      model_type: "lmscope-decoder",
      vocab_size: vocab,
      hidden_size: width,
      num_hidden_layers: LAYERS,
      num_attention_heads: heads,
      intermediate_size: 4 * width,
      max_position_embeddings: CONTEXT,
      position_embedding_type: "rope",
      attention_type: "full",
      mlp: "relu",
      norm: "rmsnorm",
      norm_position: "pre",
      bias: false,
      tie_word_embeddings: false,
    };
    const decoder = await createModel(decoderConfig, { backend, seed });
    const decoderParameters = parameterCount(decoder);
    await train(
      "transformer",
      "Transformer decoder",
      `${LAYERS} blocks, width ${width}, ${heads} heads, RoPE, RMSNorm, ReLU MLP ${4 * width}, untied head`,
      decoder,
      decoderParameters - 2 * vocab * width,
      count(12 * LAYERS * width * width),
    );

    for (const cell of ["rnn", "lstm", "gru"] as const) {
      const hidden = matchingWidth(cell, vocab, LAYERS, decoderParameters);
      const config: JsonObject = {
        model_type: "rnn",
        cell,
        vocab_size: vocab,
        embedding_dim: hidden,
        hidden_size: hidden,
        num_layers: LAYERS,
        bias: true,
        dropout: 0,
        tie_word_embeddings: false,
      };
      const model = await createModel(config, { backend, seed });
      await train(
        cell,
        CELL_LABELS[cell],
        `${LAYERS} layers, width ${hidden} (embedding ${hidden}), untied head`,
        model,
        parameterCount(model) - 2 * vocab * hidden - vocab,
        `${count(GATES[cell] * LAYERS * 2 * hidden * hidden)} (${GATES[cell]}·L·2d²)`,
      );
    }

    const transformer = rows[0]!;
    const elman = rows.find((r) => r.key === "rnn")!;
    const beat = transformer.loss < elman.loss;
    const ppl = (r: Row) => Math.exp(r.loss);
    const best = rows.reduce((a, b) => (b.loss < a.loss ? b : a));
    return {
      name: "transformer-vs-rnn",
      title: "Transformer decoder against recurrent language models of matched size",
      question:
        "The textbook trains a 2-block decoder and an Elman RNN of comparable parameter count for one epoch and finds the decoder clearly better " +
        "(perplexity 55.19 against 72.23). Does that hold here, with the same recipe at a budget of this machine?",
      setup: [
        ["corpus", `${corpus.description}; ${data.tokenizer}; ${count(data.train.length)} training and ${count(data.validation.length)} held-out tokens`],
        ["training", `${count(steps)} steps (${fmt((steps * batchSize * CONTEXT) / data.train.length, 2)} epochs' worth of tokens) of ${batchSize} random windows of ${CONTEXT} tokens, AdamW lr 1e-3 (10% warmup, cosine to 1e-4), betas (0.9, 0.99), weight decay 0.1, clip 1, seed ${seed}, on the ${backend.name} backend`],
        ["held-out score", `the first ${count(evalTokens)} held-out tokens in non-overlapping windows of ${CONTEXT} (the recurrent models start every window from a zero state, as in training)`],
        ["matching", "each recurrent model's width is the one whose exact parameter count comes closest to the decoder's"],
        ["textbook", "news corpus, 32k subword vocabulary, contexts of 30, AdamW lr 1e-3, batch 128, one epoch: decoder 55.19, Elman RNN 72.23 (72.41 in the published notebook)"],
      ],
      tables: [
        {
          title: "Models and results",
          columns: ["model", "shape", "parameters (exact)", "without embeddings and head", "estimate", "held-out perplexity", "train time (s)", "tokens/s"],
          rows: rows.map((r) => [r.label, r.shape, count(r.parameters), count(r.body), r.estimate, fmt(ppl(r)), fmt(r.seconds, 3), count(r.tokensPerSecond)]),
        },
      ],
      plots: [
        {
          file: "training-loss.svg",
          caption: "Training loss of every model, step by step",
          chart: {
            title: "Training loss: Transformer against recurrent models",
            xLabel: "step",
            yLabel: "loss (nats per token)",
            series: rows.map((r) => ({ name: r.label, points: r.losses.map((y, x) => ({ x, y })), dots: false })),
          },
        },
      ],
      findings: [
        beat
          ? `The Transformer decoder beat the Elman RNN of matched size: held-out perplexity ${fmt(ppl(transformer))} against ${fmt(ppl(elman))} (${fmt(ppl(transformer) / ppl(elman), 3)}×; the textbook's ratio is 0.764).`
          : `The Transformer decoder did not beat the Elman RNN of matched size here: held-out perplexity ${fmt(ppl(transformer))} against ${fmt(ppl(elman))} (${fmt(ppl(transformer) / ppl(elman), 3)}×; the textbook's ratio is 0.764).`,
        `Lowest held-out perplexity: ${best.label} (${fmt(ppl(best))}).`,
        `Parameters: decoder ${count(transformer.parameters)}; ${rows
          .slice(1)
          .map((r) => `${r.label} ${count(r.parameters)} (${fmt((100 * r.parameters) / transformer.parameters, 3)}%)`)
          .join(", ")}.`,
      ],
      results: {
        deterministic: Object.fromEntries(rows.map((r) => [r.key, { parameters: r.parameters, held_out_loss: r.loss, final_train_loss: r.losses[r.losses.length - 1]! }])),
        measured: Object.fromEntries(rows.map((r) => [r.key, { train_seconds: r.seconds, tokens_per_second: r.tokensPerSecond }])),
      },
    };
  },
};
