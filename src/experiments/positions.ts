// `positions`: length extrapolation. Five decoders that differ only in how they
// know where a token is — learned absolute positions, sinusoids (Vaswani et al.
// 2017), RoPE (Su et al. 2021), ALiBi (Press et al. 2022), or nothing but the
// causal mask — are trained on windows of 64 tokens and scored on held-out text
// in windows of 64, 128, 256 and 512: does the perplexity hold beyond the length
// seen in training ("RoPE generalises to longer sequences"), or does it blow up?

import { createModel } from "../language-model.js";
import type { JsonObject } from "../models/config-reader.js";
import { POSITION_TYPES, type PositionType } from "../models/lmscope/config.js";
import { characterTokens } from "./corpus.js";
import { count, fmt, parameterCount, type Experiment } from "./experiment.js";
import type { ExperimentReport } from "./report.js";
import { heldOutLoss, trainModel, type TrainSettings } from "./train-run.js";

const TRAIN_CONTEXT = 64;
const EVAL_CONTEXTS = [64, 128, 256, 512];

const LABELS: Record<PositionType, string> = {
  learned: "learned",
  sinusoidal: "sinusoidal",
  rope: "RoPE",
  alibi: "ALiBi",
  none: "none (NoPE)",
};

export const positionsExperiment: Experiment = {
  name: "positions",
  summary: "each position scheme trained at context 64, evaluated at 64, 128, 256 and 512",
  async run({ quick, seed, corpus, backend, progress }): Promise<ExperimentReport> {
    const data = characterTokens(corpus);
    const size = quick ? { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2 } : { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4 };
    const settings: TrainSettings = quick
      ? { steps: 30, batchSize: 8, blockSize: TRAIN_CONTEXT, learningRate: 3e-3, seed }
      : { steps: 250, batchSize: 8, blockSize: TRAIN_CONTEXT, learningRate: 2e-3, seed };
    const evalTokens = Math.min(data.validation.length, quick ? 2048 : 16384);
    const rows: { scheme: PositionType; parameters: number; trainLoss: number; losses: number[]; seconds: number }[] = [];
    const curves: { scheme: PositionType; losses: number[] }[] = [];
    for (const scheme of POSITION_TYPES) {
      const config: JsonObject = {
        model_type: "lmscope-decoder",
        vocab_size: data.vocabSize,
        ...size,
        max_position_embeddings: EVAL_CONTEXTS[EVAL_CONTEXTS.length - 1]!,
        position_embedding_type: scheme,
        mlp: "gelu",
        norm: "layernorm",
      };
      const model = await createModel(config, { backend, seed });
      const trained = await trainModel(model, data, settings, progress, `train ${LABELS[scheme]}`);
      const losses: number[] = [];
      progress.begin(`evaluate ${LABELS[scheme]}`, EVAL_CONTEXTS.length);
      for (const [i, context] of EVAL_CONTEXTS.entries()) {
        losses.push((await heldOutLoss(model, data.validation, context, evalTokens)).loss);
        progress.update(i + 1, `context ${context}`);
      }
      progress.end();
      progress.note(`${LABELS[scheme]}: perplexity ${EVAL_CONTEXTS.map((c, i) => `${c}: ${fmt(Math.exp(losses[i]!))}`).join(", ")}`);
      rows.push({ scheme, parameters: parameterCount(model), trainLoss: trained.losses[trained.losses.length - 1]!, losses, seconds: trained.seconds });
      curves.push({ scheme, losses: trained.losses });
    }

    const ratio = (r: (typeof rows)[number]) => Math.exp(r.losses[r.losses.length - 1]! - r.losses[0]!);
    const best = rows.reduce((a, b) => (b.losses[b.losses.length - 1]! < a.losses[a.losses.length - 1]! ? b : a));
    const worst = rows.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
    const holding = rows.filter((r) => ratio(r) <= 1.1).map((r) => LABELS[r.scheme]);
    return {
      name: "positions",
      title: "Position schemes: trained at 64 tokens, evaluated up to 512",
      question:
        "Does a decoder's perplexity hold on sequences longer than those it was trained on? Five decoders identical but for their " +
        "position scheme are trained on windows of 64 characters and scored on held-out text in windows of 64, 128, 256 and 512.",
      setup: [
        ["corpus", `${corpus.description}; ${data.tokenizer} tokens, the last 10% held out`],
        ["models", `lmscope-decoder, ${size.num_hidden_layers} block${size.num_hidden_layers > 1 ? "s" : ""}, width ${size.hidden_size}, ${size.num_attention_heads} heads, GELU MLP (4×), pre-norm LayerNorm, tied head; max_position_embeddings 512 (the learned table has 512 rows, of which training reaches the first 64)`],
        ["training", `${settings.steps} steps of ${settings.batchSize} random windows of ${TRAIN_CONTEXT} tokens, AdamW lr ${settings.learningRate} (10% warmup, cosine to lr/10), weight decay 0.1, clip 1, seed ${seed}`],
        ["evaluation", `the first ${count(evalTokens)} held-out tokens in non-overlapping windows of each length (every token scored once, with all earlier tokens of its window as context)`],
      ],
      tables: [
        {
          title: "Held-out perplexity by evaluation length",
          columns: ["position scheme", "parameters", ...EVAL_CONTEXTS.map((c) => `ppl @ ${c}`), "ppl @ 512 ÷ ppl @ 64", "train time (s)"],
          rows: rows.map((r) => [LABELS[r.scheme], count(r.parameters), ...r.losses.map((l) => fmt(Math.exp(l))), fmt(ratio(r), 3), fmt(r.seconds, 3)]),
        },
      ],
      plots: [
        {
          file: "perplexity-by-length.svg",
          caption: "Held-out perplexity against the evaluation window (trained at 64)",
          chart: {
            title: "Length extrapolation (trained at 64 tokens)",
            xLabel: "evaluation window (tokens)",
            yLabel: "held-out perplexity",
            logX: true,
            logY: true,
            xTicks: EVAL_CONTEXTS,
            series: rows.map((r) => ({ name: LABELS[r.scheme], points: r.losses.map((l, i) => ({ x: EVAL_CONTEXTS[i]!, y: Math.exp(l) })) })),
          },
        },
        {
          file: "training-loss.svg",
          caption: "Training loss of each step",
          chart: {
            title: "Training loss",
            xLabel: "step",
            yLabel: "loss (nats per token)",
            series: curves.map((c) => ({ name: LABELS[c.scheme], points: c.losses.map((y, x) => ({ x, y })), dots: false })),
          },
        },
      ],
      findings: [
        `Lowest perplexity at 512 tokens: ${LABELS[best.scheme]} (${fmt(Math.exp(best.losses[best.losses.length - 1]!))}).`,
        `Largest degradation from 64 to 512: ${LABELS[worst.scheme]}, whose perplexity is ${fmt(ratio(worst), 3)}× its value at 64.`,
        holding.length > 0
          ? `Within 10% of their own perplexity at 64 when scored at 512: ${holding.join(", ")}.`
          : "No scheme stays within 10% of its own perplexity at 64 when scored at 512.",
      ],
      results: {
        deterministic: Object.fromEntries(
          rows.map((r) => [r.scheme, { parameters: r.parameters, final_train_loss: r.trainLoss, held_out_loss: Object.fromEntries(EVAL_CONTEXTS.map((c, i) => [String(c), r.losses[i]!])) }]),
        ),
        measured: Object.fromEntries(rows.map((r) => [r.scheme, { train_seconds: r.seconds }])),
      },
    };
  },
};
