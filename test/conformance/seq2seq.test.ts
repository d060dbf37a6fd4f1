// Conformance of the encoder–decoder families against ../shared/fixtures/seq2seq
// (tiny random T5, BART and Marian saved by transformers, with its float64
// outputs): logits and encoder states within the manifest's suggested atol 5e-5,
// T5's cross-attention maps within 1e-5, greedy ids exact (and each step's raw
// logits), beam sequences exact with transformers' sequences_scores within 1e-5
// and every final hypothesis found, on the js and the wasm backend. Every model
// listed in index.json is tested, whatever its shape.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel, type Seq2SeqModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case {
  name: string;
  kind: string;
  inputs: { input_ids: number[][]; attention_mask?: number[][]; decoder_input_ids?: number[][] };
  generate_kwargs?: Record<string, number | boolean>;
  outputs: {
    logits?: ArrayRef;
    encoder_last_hidden_state?: ArrayRef;
    [crossAttention: `cross_attentions.${number}`]: ArrayRef;
    generated_ids?: number[];
    sequences?: number[][];
    sequences_scores?: number[];
    step_logits?: ArrayRef;
  };
  all_final_hypotheses?: { sequence: number[]; score: number }[];
}
interface Index {
  models: { model: string; model_type: string; cases: string[] }[];
}

const FIXTURES = join(SHARED, "fixtures/seq2seq");
const index = readJson<Index>(join(FIXTURES, "index.json"));
const ATOL = 5e-5;
const ATTENTION_ATOL = 1e-5;
const SCORE_ATOL = 1e-5;

function within(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  const diff = maxAbsDiff(actual, expected);
  assert.ok(diff <= tolerance, `${what}: max |Δ| = ${diff.toExponential(2)} > ${tolerance}`);
}

for (const [entry, backend] of index.models.flatMap((m) => (["js", "wasm"] as const).map((b) => [m, b] as const))) {
  const dir = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(dir, "reference/manifest.json"));
  const load = () => loadModel<Seq2SeqModel>(dir, { backend });

  for (const c of manifest.cases.filter((c) => c.kind === "seq2seq_forward")) {
    test(`${entry.model} ${c.name} (${backend}): logits, encoder states and cross-attention maps match transformers`, async () => {
      const model = await load();
      assert.equal(model.kind, "seq2seq");
      const crossKeys = Object.keys(c.outputs).filter((k) => k.startsWith("cross_attentions."));
      const out = await model.forward({
        inputIds: c.inputs.input_ids,
        attentionMask: c.inputs.attention_mask,
        decoderInputIds: c.inputs.decoder_input_ids!,
        outputAttentions: crossKeys.length > 0,
      });
      const ref = (r: ArrayRef) => readF32(join(dir, "reference", r.file));
      assert.deepEqual([...out.logits.shape], c.outputs.logits!.shape);
      within(out.logits.data, ref(c.outputs.logits!), ATOL, "logits");
      assert.deepEqual([...out.encoderLastHiddenState.shape], c.outputs.encoder_last_hidden_state!.shape);
      within(out.encoderLastHiddenState.data, ref(c.outputs.encoder_last_hidden_state!), ATOL, "encoder_last_hidden_state");
      for (const key of crossKeys) {
        const layer = Number(key.split(".")[1]);
        const expected = c.outputs[key as `cross_attentions.${number}`];
        assert.deepEqual([...out.crossAttentions![layer]!.shape], expected.shape);
        within(out.crossAttentions![layer]!.data, ref(expected), ATTENTION_ATOL, key);
      }
    });
  }

  for (const c of manifest.cases.filter((c) => c.kind === "seq2seq_generate")) {
    const kwargs = c.generate_kwargs!;
    const options = {
      maxTokens: kwargs["max_new_tokens"] as number,
      numBeams: kwargs["num_beams"] as number,
      doSample: kwargs["do_sample"] as boolean,
      noRepeatNgramSize: kwargs["no_repeat_ngram_size"] as number,
      minLength: kwargs["min_length"] as number,
      ...(kwargs["length_penalty"] === undefined ? {} : { lengthPenalty: kwargs["length_penalty"] as number }),
      ...(kwargs["early_stopping"] === undefined ? {} : { earlyStopping: kwargs["early_stopping"] as boolean }),
      ...(kwargs["num_return_sequences"] === undefined ? {} : { numReturnSequences: kwargs["num_return_sequences"] as number }),
    };
    const input = { ids: c.inputs.input_ids[0]! };
    if (options.numBeams === 1) {
      test(`${entry.model} ${c.name} (${backend}): greedy ids exact, streamed and as a sequence; raw step logits match`, async () => {
        const model = await load();
        const expected = c.outputs.generated_ids!;
        const [sequence] = await model.generateSequences(input, options);
        assert.deepEqual(sequence!.ids, expected);
        const streamed: number[] = [];
        const { numBeams: _numBeams, ...streamOptions } = options;
        const run = model.generate(input, { ...streamOptions, stopOnEos: false });
        for await (const piece of run) if (piece.tokenId !== null) streamed.push(piece.tokenId);
        assert.deepEqual(streamed, expected);
        // The raw logits of each step, by teacher forcing the generated sequence.
        const steps = readF32(join(dir, "reference", c.outputs.step_logits!.file));
        const decoderInputIds = [c.outputs.sequences![0]!.slice(0, expected.length)];
        const out = await model.forward({ inputIds: c.inputs.input_ids, decoderInputIds });
        within(out.logits.data, steps, ATOL, "step logits");
      });
    } else {
      test(`${entry.model} ${c.name} (${backend}): beam sequences exact, scores equal transformers' sequences_scores`, async () => {
        const model = await load();
        const [best, ...others] = await model.generateSequences(input, options);
        assert.equal(others.length, (options.numReturnSequences ?? 1) - 1);
        assert.deepEqual(best!.ids, c.outputs.sequences![0]!.slice(1));
        assert.ok(Math.abs(best!.score - c.outputs.sequences_scores![0]!) <= SCORE_ATOL, `score ${best!.score} vs ${c.outputs.sequences_scores![0]}`);
        // Every final hypothesis, in order, with its score.
        const all = await model.generateSequences(input, { ...options, numReturnSequences: options.numBeams });
        const hypotheses = c.all_final_hypotheses!;
        assert.deepEqual(all.map((h) => h.ids), hypotheses.map((h) => h.sequence.slice(1)));
        all.forEach((h, i) => assert.ok(Math.abs(h.score - hypotheses[i]!.score) <= SCORE_ATOL, `hypothesis ${i}: ${h.score} vs ${hypotheses[i]!.score}`));
      });
    }
  }
}
