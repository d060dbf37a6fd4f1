// Encoder–decoder models built from random weights (createModel) of every family:
// the decoder run a token at a time on its KV cache, reading the cross-attention
// keys and values projected once, equals running the whole target at once; the
// training path (the tape, teacher forcing) gives the inference logits; padding
// a row does not change it; a saved model loads back to the same logits; T5's
// relative position buckets follow transformers' rule; bad inputs and options are
// typed errors that name the problem.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, createModel, InputError, loadModel, OptionError, type Seq2SeqModel } from "../../../src/index.js";
import { t5RelativePositionBucket } from "../../../src/nn/relative-position-bias.js";
import { SinusoidalPositions } from "../../../src/nn/sinusoidal-positions.js";
import { evaluateLoss } from "../../../src/training/tape-loss.js";
import { maxAbsDiff } from "../../helpers/reference.js";

const VOCAB = 40;
const CONFIGS = {
  t5: { model_type: "t5", vocab_size: VOCAB, d_model: 24, d_kv: 8, d_ff: 40, num_layers: 2, num_decoder_layers: 3, num_heads: 3, relative_attention_num_buckets: 8, relative_attention_max_distance: 12, feed_forward_proj: "gated-gelu", tie_word_embeddings: true, decoder_start_token_id: 0, eos_token_id: 1, pad_token_id: 0 },
  bart: { model_type: "bart", vocab_size: VOCAB, d_model: 24, encoder_layers: 2, decoder_layers: 2, encoder_attention_heads: 4, decoder_attention_heads: 4, encoder_ffn_dim: 36, decoder_ffn_dim: 36, max_position_embeddings: 32 },
  marian: { model_type: "marian", vocab_size: VOCAB, d_model: 24, encoder_layers: 1, decoder_layers: 2, encoder_attention_heads: 2, decoder_attention_heads: 2, encoder_ffn_dim: 30, decoder_ffn_dim: 30, max_position_embeddings: 32, scale_embedding: true, activation_function: "swish", pad_token_id: 39, decoder_start_token_id: 39, eos_token_id: 0 },
  transformer: { model_type: "transformer", vocab_size: VOCAB, d_model: 16, encoder_layers: 2, decoder_layers: 1, encoder_attention_heads: 2, decoder_attention_heads: 2, encoder_ffn_dim: 20, decoder_ffn_dim: 20, max_position_embeddings: 32 },
} as const;

/** Random weights at a scale where mistakes show (createModel's 0.02 makes every layer nearly the identity). */
async function randomModel(kind: keyof typeof CONFIGS, backend: "js" | "wasm" = "js"): Promise<Seq2SeqModel> {
  const model = await createModel<Seq2SeqModel>(CONFIGS[kind], { seed: 5, backend });
  let state = 12345;
  for (const [name, p] of model.namedParameters()) {
    if (p.shape.length === 1 || name.endsWith(".bias")) continue;
    for (let i = 0; i < p.data.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      p.data[i] = ((state / 2 ** 32) * 2 - 1) * (name.includes("relative_attention_bias") ? 1.5 : 0.4);
    }
  }
  return model;
}

const SOURCE = [[5, 9, 13, 2, 30, 21, 7, 1]];
const TARGET = [[0, 17, 4, 4, 28, 33, 12, 6, 19]];

for (const kind of Object.keys(CONFIGS) as (keyof typeof CONFIGS)[]) {
  test(`${kind}: decoding a token at a time on the KV cache and the once-projected cross-attention memory equals the whole target at once`, async () => {
    const model = await randomModel(kind);
    const { network } = model;
    const whole = await model.forward({ inputIds: SOURCE, decoderInputIds: TARGET });
    const encoded = network.encode(SOURCE[0]!, null);
    const state = network.acquireState(TARGET[0]!.length);
    const steps = new Float32Array(whole.logits.data.length);
    // the memory is projected once: later steps must not change it
    const keysBefore = Float32Array.from(encoded.memories[0]!.keys.subarray(0, encoded.length * encoded.memories[0]!.kvDim));
    TARGET[0]!.forEach((id, i) => network.decode([id], state, encoded, steps.subarray(i * VOCAB, (i + 1) * VOCAB), "last"));
    assert.ok(maxAbsDiff(steps, whole.logits.data) < 2e-5, `step by step vs whole: ${maxAbsDiff(steps, whole.logits.data)}`);
    assert.deepEqual([...encoded.memories[0]!.keys.subarray(0, keysBefore.length)], [...keysBefore]);
    // a copied state continues exactly as the original
    const copy = network.acquireState(TARGET[0]!.length);
    const partial = network.acquireState(TARGET[0]!.length);
    const scratch = new Float32Array(VOCAB * TARGET[0]!.length);
    network.decode(TARGET[0]!.slice(0, 4), partial, encoded, scratch, "all");
    network.copyState(partial, copy);
    network.decode(TARGET[0]!.slice(4), copy, encoded, scratch, "all");
    assert.ok(maxAbsDiff(scratch.subarray(0, 5 * VOCAB), whole.logits.data.subarray(4 * VOCAB)) < 2e-5);
    network.releaseEncoded(encoded);
  });

  test(`${kind}: the training path (tape, teacher forcing) gives the inference logits, and a padded row the unpadded one's`, async () => {
    const model = await randomModel(kind);
    const { network } = model;
    const batch = { inputIds: SOURCE, decoderInputIds: TARGET, labels: TARGET.map((r) => r.map(() => 1)) };
    let tapeLogits = new Float32Array(0);
    evaluateLoss(network.backend, network.parameters, (ctx) => {
      const logits = network.logitsOnTape(ctx, batch);
      tapeLogits = Float32Array.from(logits.data);
      return network.lossOnTape(ctx, batch);
    });
    const inference = await model.forward({ inputIds: SOURCE, decoderInputIds: TARGET });
    assert.ok(maxAbsDiff(tapeLogits, inference.logits.data) < 2e-5, `tape vs inference: ${maxAbsDiff(tapeLogits, inference.logits.data)}`);
    const padded = await model.forward({
      inputIds: [SOURCE[0]!, [...SOURCE[0]!.slice(0, 5), 3, 3, 3]],
      attentionMask: [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0]],
      decoderInputIds: [TARGET[0]!, TARGET[0]!],
    });
    const alone = await model.forward({ inputIds: [SOURCE[0]!.slice(0, 5)], decoderInputIds: TARGET });
    const rowLength = TARGET[0]!.length * VOCAB;
    assert.ok(maxAbsDiff(padded.logits.data.subarray(0, rowLength), inference.logits.data) < 1e-6);
    assert.ok(maxAbsDiff(padded.logits.data.subarray(rowLength), alone.logits.data) < 2e-5, "a padded row equals the row alone");
    // the tape's padding mask: the same padded batch on the tape
    const paddedBatch = { inputIds: [SOURCE[0]!, [...SOURCE[0]!.slice(0, 5), 3, 3, 3]], attentionMask: [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0]], decoderInputIds: [TARGET[0]!, TARGET[0]!], labels: [TARGET[0]!, TARGET[0]!] };
    evaluateLoss(network.backend, network.parameters, (ctx) => {
      const logits = network.logitsOnTape(ctx, paddedBatch);
      assert.ok(maxAbsDiff(logits.data, padded.logits.data) < 2e-5, "padded batch on the tape");
      return network.lossOnTape(ctx, paddedBatch);
    });
  });
}

test("wasm and js give the same seq2seq logits and cross-attention maps (T5 and BART)", async () => {
  for (const kind of ["t5", "bart"] as const) {
    const js = await randomModel(kind, "js");
    const wasm = await randomModel(kind, "wasm");
    const a = await js.forward({ inputIds: SOURCE, decoderInputIds: TARGET, outputAttentions: true });
    const b = await wasm.forward({ inputIds: SOURCE, decoderInputIds: TARGET, outputAttentions: true });
    assert.ok(maxAbsDiff(a.logits.data, b.logits.data) < 2e-5, kind);
    assert.ok(maxAbsDiff(a.crossAttentions![1]!.data, b.crossAttentions![1]!.data) < 1e-5, kind);
    const rows = a.crossAttentions![0]!;
    for (let r = 0; r < rows.data.length / SOURCE[0]!.length; r++) {
      const sum = rows.data.subarray(r * SOURCE[0]!.length, (r + 1) * SOURCE[0]!.length).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `cross-attention row ${r} sums to ${sum}`);
    }
  }
});

test("a saved seq2seq model loads back (loadModel returns a Seq2SeqModel) with the same logits and generation config", async () => {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-seq2seq-"));
  try {
    const model = await randomModel("bart");
    await model.save(dir);
    const loaded = await loadModel<Seq2SeqModel>(dir, { backend: "js" });
    assert.equal(loaded.kind, "seq2seq");
    const a = await model.forward({ inputIds: SOURCE, decoderInputIds: TARGET });
    const b = await loaded.forward({ inputIds: SOURCE, decoderInputIds: TARGET });
    assert.deepEqual([...b.logits.data], [...a.logits.data]);
    assert.equal(loaded.info().parameters, model.info().parameters);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("T5 relative position buckets follow transformers' _relative_position_bucket (values computed by transformers 5.18)", () => {
  // bidirectional, 32 buckets, max distance 128, and causal, for the distances below
  const distances = [-300, -128, -127, -64, -40, -17, -16, -9, -8, -7, -1, 0, 1, 7, 8, 15, 16, 20, 33, 64, 127, 128, 500];
  const bidirectional = [15, 15, 15, 14, 12, 10, 10, 8, 8, 7, 1, 0, 17, 23, 24, 25, 26, 26, 28, 30, 31, 31, 31];
  const causal = [31, 31, 31, 26, 23, 16, 16, 9, 8, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(distances.map((d) => t5RelativePositionBucket(d, true, 32, 128)), bidirectional);
  assert.deepEqual(distances.map((d) => t5RelativePositionBucket(d, false, 32, 128)), causal);
});

test("sinusoidal positions: the paper's interleaved sin/cos and Marian's concatenated halves, odd widths included", () => {
  const interleaved = new SinusoidalPositions(6, 4, "interleaved");
  const concatenated = new SinusoidalPositions(6, 5, "concatenated");
  for (let p = 0; p < 6; p++) {
    const row = (t: SinusoidalPositions, j: number) => t.table[p * t.dim + j]!;
    assert.ok(Math.abs(row(interleaved, 0) - Math.sin(p)) < 1e-6 && Math.abs(row(interleaved, 1) - Math.cos(p)) < 1e-6);
    assert.ok(Math.abs(row(interleaved, 2) - Math.sin(p / 100)) < 1e-6 && Math.abs(row(interleaved, 3) - Math.cos(p / 100)) < 1e-6);
    // d = 5: sines of frequencies 10000^(-2j/5), j = 0, 1, 2, then cosines of j = 0, 1
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(row(concatenated, j) - Math.sin(p / 10000 ** ((2 * j) / 5))) < 1e-6);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(row(concatenated, 3 + j) - Math.cos(p / 10000 ** ((2 * j) / 5))) < 1e-6);
  }
  assert.throws(() => interleaved.forwardRange(new Float32Array(16), 4, 3), InputError);
});

test("bad inputs and options are typed errors that name the problem", async () => {
  const model = await randomModel("bart");
  await assert.rejects(model.forward({ inputIds: [[]], decoderInputIds: [[2]] }), InputError);
  await assert.rejects(model.forward({ inputIds: [[1, 2]], decoderInputIds: [[2, 99]] }), /decoderInputIds\[0\]\[1\] is 99/);
  await assert.rejects(model.forward({ inputIds: [[1, 2], [1]], decoderInputIds: [[2], [2]] }), /row 1 has 1 entries, expected 2/);
  await assert.rejects(model.forward({ inputIds: [[1, 2]], attentionMask: [[0, 0]], decoderInputIds: [[2]] }), /hides every input token/);
  await assert.rejects(model.forward({ inputIds: [new Array<number>(40).fill(5)], decoderInputIds: [[2]] }), /40 tokens exceed the 32/);
  await assert.rejects(model.forward({ inputIds: [[1]], decoderInputIds: [[2]], decoderAttentionMask: [[1]] } as never), /unknown input "decoderAttentionMask"/);
  await assert.rejects(model.generateSequences({ ids: [] }), /input is empty/);
  await assert.rejects(model.generateSequences({ ids: new Array<number>(33).fill(4) }), /33 tokens, more than the 32/);
  await assert.rejects(model.generateSequences({ ids: [4, 77] }), /input token 1 is 77/);
  await assert.rejects(model.generateSequences("text"), /no tokenizer/);
  await assert.rejects(model.generateSequences({ ids: [4] }, { maxTokens: 33 }), /ask for at most 32 tokens/);
  assert.equal((await model.generateSequences({ ids: [4] }, { maxTokens: 32, eosTokenId: 39, forcedEosTokenId: null }))[0]!.ids.length, 32, "32 new tokens fit 32 positions");
  await assert.rejects(model.generateSequences({ ids: [4] }, { numBeams: 0 }), OptionError);
  await assert.rejects(model.generateSequences({ ids: [4] }, { numBeams: 2, numReturnSequences: 3 }), /numReturnSequences/);
  await assert.rejects(model.generateSequences({ ids: [4] }, { numBeams: 2, doSample: true }), /beam-sample/);
  await assert.rejects(model.generateSequences({ ids: [4] }, { earlyStopping: "sometimes" as never }), /earlyStopping/);
  await assert.rejects(model.generateSequences({ ids: [4] }, { badWordsIds: [[3, 99]] }), /badWordsIds/);
  await assert.rejects(model.generateSequences({ ids: [4] }, { frobnicate: 1 } as never), /unknown generation option/);
  await assert.rejects(model.generateSequences([]), /empty list/);
  const stream = model.generate({ ids: [4] }, { numBeams: 3 } as never);
  await assert.rejects(stream.next(), /beam search is generateSequences'/);
  await assert.rejects(model.loss({ inputIds: [[1]], decoderInputIds: [[2]], labels: [[1]] }, { labelSmoothing: 1.5 }), /labelSmoothing/);
  await assert.rejects(createModel({ ...CONFIGS.bart, encoder_attention_heads: 3 }), ConfigError);
  await assert.rejects(createModel({ ...CONFIGS.t5, feed_forward_proj: "gated-gelu-relu" }), /feed_forward_proj/);
  await assert.rejects(createModel({ ...CONFIGS.transformer, sinusoid_layout: "spiral" }), /sinusoid_layout/);
});
