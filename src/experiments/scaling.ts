// `scaling`: perplexity against model size. Four decoders of growing width and
// depth (the same recipe otherwise) train for the same steps on the same data;
// their held-out loss is plotted against their non-embedding parameter count,
// and a power law L(N) = a · N^(−α) is fitted through the points by least squares
// in log–log space (the form of Kaplan et al. 2020, at a budget of minutes: the
// larger models are further from convergence, so the exponent is this budget's,
// not the law's).

import { createModel } from "../language-model.js";
import type { JsonObject } from "../models/config-reader.js";
import { characterTokens } from "./corpus.js";
import { count, fmt, parameterCount, type Experiment } from "./experiment.js";
import type { ExperimentReport } from "./report.js";
import { heldOutLoss, trainModel, type TrainSettings } from "./train-run.js";

interface Size {
  readonly layers: number;
  readonly width: number;
  readonly heads: number;
}

const FULL_SIZES: Size[] = [
  { layers: 1, width: 32, heads: 2 },
  { layers: 2, width: 48, heads: 4 },
  { layers: 2, width: 96, heads: 4 },
  { layers: 3, width: 128, heads: 4 },
];
const QUICK_SIZES: Size[] = [
  { layers: 1, width: 8, heads: 2 },
  { layers: 1, width: 16, heads: 2 },
  { layers: 1, width: 32, heads: 2 },
  { layers: 2, width: 32, heads: 2 },
];

/** Least-squares fit of log y = log a − α log x. */
export function powerLawFit(xs: readonly number[], ys: readonly number[]): { a: number; alpha: number } {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const n = xs.length;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { a: Math.exp(my - slope * mx), alpha: -slope };
}

export const scalingExperiment: Experiment = {
  name: "scaling",
  summary: "held-out perplexity against parameter count for four model sizes",
  async run({ quick, seed, corpus, backend, progress }): Promise<ExperimentReport> {
    const data = characterTokens(corpus);
    const sizes = quick ? QUICK_SIZES : FULL_SIZES;
    const blockSize = 64;
    const settings: TrainSettings = quick
      ? { steps: 30, batchSize: 8, blockSize, learningRate: 3e-3, seed }
      : { steps: 200, batchSize: 8, blockSize, learningRate: 2e-3, seed };
    const evalTokens = Math.min(data.validation.length, quick ? 2048 : 16384);
    const rows: { size: Size; parameters: number; nonEmbedding: number; loss: number; seconds: number; losses: number[] }[] = [];
    for (const size of sizes) {
      const config: JsonObject = {
        model_type: "lmscope-decoder",
        vocab_size: data.vocabSize,
        hidden_size: size.width,
        num_hidden_layers: size.layers,
        num_attention_heads: size.heads,
        max_position_embeddings: blockSize,
        position_embedding_type: "rope",
        mlp: "gelu",
        norm: "layernorm",
      };
      const label = `${size.layers} × ${size.width}`;
      const model = await createModel(config, { backend, seed });
      const trained = await trainModel(model, data, settings, progress, `train ${label}`);
      const heldOut = await heldOutLoss(model, data.validation, blockSize, evalTokens);
      const parameters = parameterCount(model);
      progress.note(`${label}: ${count(parameters)} parameters, perplexity ${fmt(heldOut.perplexity)}`);
      rows.push({ size, parameters, nonEmbedding: parameters - data.vocabSize * size.width, loss: heldOut.loss, seconds: trained.seconds, losses: trained.losses });
    }
    const fit = powerLawFit(
      rows.map((r) => r.nonEmbedding),
      rows.map((r) => r.loss),
    );
    const smallest = rows[0]!;
    const largest = rows[rows.length - 1]!;
    const monotone = rows.every((r, i) => i === 0 || r.loss < rows[i - 1]!.loss);
    return {
      name: "scaling",
      title: "Scaling: held-out perplexity against parameter count",
      question: "With data and steps fixed, how does held-out perplexity fall as the model grows?",
      setup: [
        ["corpus", `${corpus.description}; ${data.tokenizer} tokens, the last 10% held out`],
        ["models", "lmscope-decoder with RoPE, GELU MLP (4×), pre-norm LayerNorm, tied head; sizes below"],
        ["training", `${settings.steps} steps of ${settings.batchSize} windows of ${blockSize} tokens for every size, AdamW lr ${settings.learningRate} (10% warmup, cosine to lr/10), weight decay 0.1, clip 1, seed ${seed}`],
        ["held-out score", `the first ${count(evalTokens)} held-out tokens in non-overlapping windows of ${blockSize}`],
      ],
      tables: [
        {
          title: "Perplexity by size",
          columns: ["blocks × width", "parameters", "non-embedding parameters", "12·L·d²", "held-out loss", "held-out perplexity", "train time (s)"],
          rows: rows.map((r) => [
            `${r.size.layers} × ${r.size.width}`,
            count(r.parameters),
            count(r.nonEmbedding),
            count(12 * r.size.layers * r.size.width ** 2),
            fmt(r.loss),
            fmt(Math.exp(r.loss)),
            fmt(r.seconds, 3),
          ]),
        },
      ],
      plots: [
        {
          file: "perplexity-by-size.svg",
          caption: "Held-out loss against non-embedding parameters, with the fitted power law",
          chart: {
            title: "Held-out loss against size",
            xLabel: "non-embedding parameters",
            yLabel: "held-out loss (nats per token)",
            logX: true,
            logY: true,
            series: [
              { name: "measured", points: rows.map((r) => ({ x: r.nonEmbedding, y: r.loss })) },
              { name: `fit: ${fmt(fit.a, 3)}·N^−${fmt(fit.alpha, 3)}`, points: rows.map((r) => ({ x: r.nonEmbedding, y: fit.a * r.nonEmbedding ** -fit.alpha })), dots: false },
            ],
          },
        },
        {
          file: "training-loss.svg",
          caption: "Training loss of each step",
          chart: {
            title: "Training loss",
            xLabel: "step",
            yLabel: "loss (nats per token)",
            series: rows.map((r) => ({ name: `${r.size.layers} × ${r.size.width}`, points: r.losses.map((y, x) => ({ x, y })), dots: false })),
          },
        },
      ],
      findings: [
        `From ${count(smallest.nonEmbedding)} to ${count(largest.nonEmbedding)} non-embedding parameters (${fmt(largest.nonEmbedding / smallest.nonEmbedding, 3)}×), held-out perplexity goes from ${fmt(Math.exp(smallest.loss))} to ${fmt(Math.exp(largest.loss))}.`,
        `Fitted loss ≈ ${fmt(fit.a, 3)} · N^(−${fmt(fit.alpha, 3)}) for N non-embedding parameters (four points, one budget).`,
        monotone ? "Every larger model reached a lower held-out loss than the one before it." : "Not every larger model reached a lower held-out loss than the one before it at this budget.",
      ],
      results: {
        deterministic: {
          sizes: rows.map((r) => ({ layers: r.size.layers, width: r.size.width, parameters: r.parameters, non_embedding_parameters: r.nonEmbedding, held_out_loss: r.loss })),
          fit: { a: fit.a, alpha: fit.alpha },
        },
        measured: { train_seconds: rows.map((r) => r.seconds) },
      },
    };
  },
};
