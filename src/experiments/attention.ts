// `attention`: what each form of attention costs and what it gives up. Decoders
// identical but for their attention — full softmax attention (multi-head,
// grouped-query, multi-query), a sliding window (Mistral), Child et al.'s fixed
// sparse pattern, linear attention (Katharopoulos et al.) and the Performer
// (Choromanski et al.) — train for the same steps and are scored on held-out
// text; then each generates one token at a time up to 4,096 positions, and the
// time per token and the memory its generation state holds are measured as the
// context grows: the quadratic-versus-linear picture. Generation runs on the js
// reference backend, where every variant is the same kind of plain loop, so the
// times compare the algorithms rather than how well each kernel is tuned.

import { jsBackend } from "../backend/js/index.js";
import { createModel, type LanguageModel } from "../language-model.js";
import type { JsonObject } from "../models/config-reader.js";
import { characterTokens } from "./corpus.js";
import { count, fmt, parameterCount, type Experiment } from "./experiment.js";
import type { ProgressReporter } from "./progress.js";
import type { ExperimentReport } from "./report.js";
import { heldOutLoss, trainModel, type TrainSettings } from "./train-run.js";

interface Variant {
  readonly key: string;
  readonly label: string;
  readonly fields: JsonObject;
}

function variants(heads: number, window: number): Variant[] {
  return [
    { key: "full", label: "full (MHA)", fields: { attention_type: "full" } },
    { key: "gqa", label: `full, GQA (${heads / 2} kv heads)`, fields: { attention_type: "full", num_key_value_heads: heads / 2 } },
    { key: "mqa", label: "full, MQA (1 kv head)", fields: { attention_type: "full", num_key_value_heads: 1 } },
    { key: "sliding", label: `sliding window (${window})`, fields: { attention_type: "sliding_window", sliding_window: window } },
    { key: "sparse", label: `sparse (window ${window / 2}, stride ${window / 2})`, fields: { attention_type: "sparse", sparse_window: window / 2, sparse_stride: window / 2 } },
    { key: "linear", label: "linear (elu + 1)", fields: { attention_type: "linear" } },
    { key: "performer", label: "Performer (FAVOR+)", fields: { attention_type: "performer", performer_seed: 0 } },
  ];
}

interface GenerationCost {
  /** Mean milliseconds per token over the steps just before each position. */
  readonly msPerToken: number[];
  /** Bytes the generation state holds at each position. */
  readonly stateBytes: number[];
}

/** Steps whose median time is reported at each mark (the median shrugs off a collection pause or a busy neighbour). */
const TIMED_STEPS = 64;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Decodes one token per step up to `length` positions and measures each step (js backend). */
async function generationCost(trained: LanguageModel, config: JsonObject, ids: Int32Array, marks: number[], progress: ProgressReporter, label: string): Promise<GenerationCost> {
  const model = await createModel(config, { backend: jsBackend });
  const weights = new Map(trained.namedParameters());
  for (const [name, p] of model.namedParameters()) p.data.set(weights.get(name)!.data);
  const net = model.network;
  const length = marks[marks.length - 1]!;
  // Full-attention buffers start at one row and double, so at each mark (a power of two) they hold exactly the positions so far.
  const state = net.acquireState(length, 1);
  const msPerToken: number[] = [];
  const stateBytes: number[] = [];
  const step = [0];
  const recent: number[] = [];
  let next = 0; // index of the next mark
  progress.begin(`generate ${label}`, length);
  for (let position = 0; position < length; position++) {
    step[0] = ids[position % ids.length]!;
    const started = performance.now();
    net.forward(step, state.cache, state.logits, "last");
    const ms = performance.now() - started;
    recent.push(ms);
    if (recent.length > TIMED_STEPS) recent.shift();
    if (position + 1 === marks[next]) {
      msPerToken.push(median(recent));
      stateBytes.push(4 * state.cache.floats);
      next++;
    }
    if ((position + 1) % 64 === 0) progress.update(position + 1, `${fmt(ms, 3)} ms/token`);
  }
  progress.end();
  net.releaseState(state);
  return { msPerToken, stateBytes };
}

export const attentionExperiment: Experiment = {
  name: "attention",
  summary: "each attention variant's perplexity at equal steps, and its time and memory per generated token up to 4,096 positions",
  async run({ quick, seed, corpus, backend, progress }): Promise<ExperimentReport> {
    const data = characterTokens(corpus);
    const heads = 4;
    const size = quick ? { hidden_size: 32, num_hidden_layers: 1 } : { hidden_size: 64, num_hidden_layers: 2 };
    const blockSize = quick ? 64 : 128;
    const window = quick ? 16 : 32;
    const settings: TrainSettings = quick
      ? { steps: 30, batchSize: 8, blockSize, learningRate: 3e-3, seed }
      : { steps: 120, batchSize: 8, blockSize, learningRate: 2e-3, seed };
    const marks = quick ? [128, 256, 512, 1024] : [256, 512, 1024, 2048, 4096];
    const evalTokens = Math.min(data.validation.length, quick ? 2048 : 16384);
    const rows: { variant: Variant; parameters: number; loss: number; trainSeconds: number; tokensPerSecond: number; losses: number[]; cost: GenerationCost }[] = [];
    for (const variant of variants(heads, window)) {
      const config: JsonObject = {
        model_type: "lmscope-decoder",
        vocab_size: data.vocabSize,
        ...size,
        num_attention_heads: heads,
        max_position_embeddings: marks[marks.length - 1]!,
        position_embedding_type: "rope",
        mlp: "gelu",
        norm: "layernorm",
        ...variant.fields,
      };
      const model = await createModel(config, { backend, seed });
      const trained = await trainModel(model, data, settings, progress, `train ${variant.label}`);
      const heldOut = await heldOutLoss(model, data.validation, blockSize, evalTokens);
      const cost = await generationCost(model, config, data.validation, marks, progress, variant.label);
      progress.note(`${variant.label}: perplexity ${fmt(heldOut.perplexity)}, ${fmt(cost.msPerToken[cost.msPerToken.length - 1]!, 3)} ms/token at ${count(marks[marks.length - 1]!)}`);
      rows.push({ variant, parameters: parameterCount(model), loss: heldOut.loss, trainSeconds: trained.seconds, tokensPerSecond: trained.tokensPerSecond, losses: trained.losses, cost });
    }

    const last = marks.length - 1;
    const first = marks.indexOf(quick ? 256 : 512);
    const growth = (values: number[]) => values[last]! / values[first]!;
    const full = rows[0]!;
    const bestLoss = rows.reduce((a, b) => (b.loss < a.loss ? b : a));
    const constantMemory = rows.filter((r) => r.cost.stateBytes[last] === r.cost.stateBytes[first]).map((r) => r.variant.label);
    return {
      name: "attention",
      title: "Attention variants: perplexity at equal steps, and the cost of each generated token",
      question:
        "Standard self-attention reads every earlier token at every step, so generation slows and its KV cache grows with the context; " +
        "sliding windows, sparse patterns, linear attention and the Performer trade some of that away. What does each cost, and what does it give up?",
      setup: [
        ["corpus", `${corpus.description}; ${data.tokenizer} tokens, the last 10% held out`],
        ["models", `lmscope-decoder, ${size.num_hidden_layers} block${size.num_hidden_layers > 1 ? "s" : ""}, width ${size.hidden_size}, ${heads} heads, RoPE, GELU MLP (4×), pre-norm LayerNorm; only the attention differs`],
        ["training", `${settings.steps} steps of ${settings.batchSize} windows of ${blockSize} tokens, AdamW lr ${settings.learningRate} (10% warmup, cosine to lr/10), weight decay 0.1, clip 1, seed ${seed}, on the ${backend.name} backend`],
        ["held-out score", `the first ${count(evalTokens)} held-out tokens in non-overlapping windows of ${blockSize}`],
        ["generation", `one token per step from position 0 to ${count(marks[last]!)} (fed the held-out text), on the js reference backend, one thread; ms per token = the median of the 64 steps before each mark; memory = the floats the generation state holds (KV cache or running sums) × 4 bytes`],
      ],
      tables: [
        {
          title: "Quality and training cost",
          columns: ["attention", "parameters", "held-out perplexity", "training tokens/s", "train time (s)"],
          rows: rows.map((r) => [r.variant.label, count(r.parameters), fmt(Math.exp(r.loss)), count(r.tokensPerSecond), fmt(r.trainSeconds, 3)]),
        },
        {
          title: "Time per generated token (ms) as the context grows",
          columns: ["attention", ...marks.map((m) => `@ ${count(m)}`), `${count(marks[last]!)} ÷ ${count(marks[first]!)}`],
          rows: rows.map((r) => [r.variant.label, ...r.cost.msPerToken.map((v) => fmt(v, 3)), fmt(growth(r.cost.msPerToken), 3)]),
        },
        {
          title: "Generation state (KiB) as the context grows",
          columns: ["attention", ...marks.map((m) => `@ ${count(m)}`)],
          rows: rows.map((r) => [r.variant.label, ...r.cost.stateBytes.map((b) => fmt(b / 1024, 4))]),
        },
      ],
      plots: [
        {
          file: "time-per-token.svg",
          caption: "Milliseconds per generated token against the position (js reference backend)",
          chart: {
            title: "Time per generated token",
            xLabel: "position (tokens so far)",
            yLabel: "ms per token",
            logX: true,
            logY: true,
            xTicks: marks,
            series: rows.map((r) => ({ name: r.variant.label, points: marks.map((x, i) => ({ x, y: r.cost.msPerToken[i]! })) })),
          },
        },
        {
          file: "state-memory.svg",
          caption: "Memory of the generation state against the position",
          chart: {
            title: "Generation state memory",
            xLabel: "position (tokens so far)",
            yLabel: "KiB",
            logX: true,
            logY: true,
            xTicks: marks,
            series: rows.map((r) => ({ name: r.variant.label, points: marks.map((x, i) => ({ x, y: r.cost.stateBytes[i]! / 1024 })) })),
          },
        },
        {
          file: "training-loss.svg",
          caption: "Training loss of each step",
          chart: {
            title: "Training loss",
            xLabel: "step",
            yLabel: "loss (nats per token)",
            series: rows.map((r) => ({ name: r.variant.label, points: r.losses.map((y, x) => ({ x, y })), dots: false })),
          },
        },
      ],
      findings: [
        `Lowest held-out perplexity: ${bestLoss.variant.label} (${fmt(Math.exp(bestLoss.loss))}); full attention ${fmt(Math.exp(full.loss))}.`,
        `From ${count(marks[first]!)} to ${count(marks[last]!)} positions (${marks[last]! / marks[first]!}× longer), full attention's time per token grows ${fmt(growth(full.cost.msPerToken), 3)}× and its KV cache ${fmt(growth(full.cost.stateBytes), 3)}×.`,
        `Generation state of constant size from ${count(marks[first]!)} to ${count(marks[last]!)} positions: ${constantMemory.length > 0 ? constantMemory.join(", ") : "none"}.`,
      ],
      results: {
        deterministic: Object.fromEntries(
          rows.map((r) => [r.variant.key, { parameters: r.parameters, held_out_loss: r.loss, final_train_loss: r.losses[r.losses.length - 1]!, state_bytes: Object.fromEntries(marks.map((m, i) => [String(m), r.cost.stateBytes[i]!])) }]),
        ),
        measured: Object.fromEntries(
          rows.map((r) => [r.variant.key, { train_seconds: r.trainSeconds, training_tokens_per_second: r.tokensPerSecond, ms_per_token: Object.fromEntries(marks.map((m, i) => [String(m), r.cost.msPerToken[i]!])) }]),
        ),
      },
    };
  },
};
