// The BERT encoder on tiny random models built in memory: padding invariance,
// token types, the heads of every architecture and their shapes, input and
// checkpoint validation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { ConfigError, InputError, ModelFormatError } from "../../../src/errors.js";
import { buildBert, parseBertConfig } from "../../../src/models/encoder/bert.js";
import { maxAbsDiff } from "../../helpers/reference.js";
import { bertConfig, configFor, NER_LABELS, randomBert, randomBertTensors, SENTIMENT_LABELS, VOCAB } from "./random-bert.js";

const V = VOCAB.length;
const H = 32;
const short = [2, 7, 8, 9, 3]; // [CLS] a cat dog [SEP]
const long = [2, 5, 7, 9, 10, 11, 3, 12, 13, 3]; // a sentence pair

/** Rows b's positions [0, n) of a [B, T, W] array. */
function rowPrefix(data: Float32Array, b: number, seq: number, width: number, n: number): Float32Array {
  return data.subarray(b * seq * width, b * seq * width + n * width);
}

test("a padded row's real positions equal the unpadded row's, for every output", async () => {
  for (const architecture of ["BertForPreTraining", "BertForTokenClassification", "BertForSequenceClassification"]) {
    const model = randomBert(architecture);
    const alone = await model.forward({ inputIds: [short] });
    const pad = long.length - short.length;
    const batch = await model.forward({
      inputIds: [long, [...short, ...new Array<number>(pad).fill(0)]],
      attentionMask: [long.map(() => 1), [...short.map(() => 1), ...new Array<number>(pad).fill(0)]],
      tokenTypeIds: [[0, 0, 0, 0, 0, 0, 0, 1, 1, 1], long.map(() => 0)],
    });
    const T = long.length;
    assert.ok(maxAbsDiff(rowPrefix(batch.lastHiddenState.data, 1, T, H, short.length), alone.lastHiddenState.data) < 1e-5, architecture);
    if (alone.poolerOutput !== undefined) assert.ok(maxAbsDiff(batch.poolerOutput!.data.subarray(H), alone.poolerOutput.data) < 1e-5);
    if (alone.predictionLogits !== undefined) {
      assert.ok(maxAbsDiff(rowPrefix(batch.predictionLogits!.data, 1, T, V, short.length), alone.predictionLogits.data) < 1e-5);
      assert.ok(maxAbsDiff(batch.seqRelationshipLogits!.data.subarray(2), alone.seqRelationshipLogits!.data) < 1e-5);
    }
    if (architecture === "BertForTokenClassification") {
      assert.ok(maxAbsDiff(rowPrefix(batch.logits!.data, 1, T, NER_LABELS.length, short.length), alone.logits!.data) < 1e-5);
    }
    if (architecture === "BertForSequenceClassification") {
      assert.ok(maxAbsDiff(batch.logits!.data.subarray(SENTIMENT_LABELS.length), alone.logits!.data) < 1e-5);
    }
    // Without the mask, padding leaks into the real positions.
    const unmasked = await model.forward({ inputIds: [[...short, ...new Array<number>(pad).fill(0)]] });
    assert.ok(maxAbsDiff(rowPrefix(unmasked.lastHiddenState.data, 0, T, H, short.length), alone.lastHiddenState.data) > 1e-3);
  }
});

test("token type ids change the hidden states; omitted ones are zeros; repeated calls reuse scratch exactly", async () => {
  const model = randomBert("BertModel");
  const zeros = await model.forward({ inputIds: [long], tokenTypeIds: [long.map(() => 0)] });
  const omitted = await model.forward({ inputIds: [long] });
  assert.deepEqual(omitted.lastHiddenState.data, zeros.lastHiddenState.data);
  const pair = await model.forward({ inputIds: [long], tokenTypeIds: [[0, 0, 0, 0, 0, 0, 0, 1, 1, 1]] });
  assert.ok(maxAbsDiff(pair.lastHiddenState.data, zeros.lastHiddenState.data) > 1e-2);
  // A longer call grows the scratch; a shorter one afterwards gives the same numbers as before.
  const first = await model.forward({ inputIds: [short] });
  await model.forward({ inputIds: [long, long, long] });
  const again = await model.forward({ inputIds: [short] });
  assert.deepEqual(again.lastHiddenState.data, first.lastHiddenState.data);
  assert.deepEqual(again.poolerOutput!.data, first.poolerOutput!.data);
});

test("each architecture returns its HF outputs with the right shapes", async () => {
  const B = 2;
  const T = long.length;
  const expected: Record<string, Record<string, number[]>> = {
    BertModel: { lastHiddenState: [B, T, H], poolerOutput: [B, H] },
    BertForPreTraining: { lastHiddenState: [B, T, H], poolerOutput: [B, H], predictionLogits: [B, T, V], seqRelationshipLogits: [B, 2] },
    BertForMaskedLM: { lastHiddenState: [B, T, H], logits: [B, T, V] },
    BertForNextSentencePrediction: { lastHiddenState: [B, T, H], poolerOutput: [B, H], logits: [B, 2] },
    BertForSequenceClassification: { lastHiddenState: [B, T, H], poolerOutput: [B, H], logits: [B, SENTIMENT_LABELS.length] },
    BertForTokenClassification: { lastHiddenState: [B, T, H], logits: [B, T, NER_LABELS.length] },
  };
  for (const [architecture, shapes] of Object.entries(expected)) {
    const model = randomBert(architecture);
    const out = (await model.forward({ inputIds: [long, long] })) as unknown as Record<string, { data: Float32Array; shape: number[] }>;
    assert.deepEqual(Object.keys(out).sort(), Object.keys(shapes).sort(), architecture);
    for (const [name, shape] of Object.entries(shapes)) {
      assert.deepEqual([...out[name]!.shape], shape, `${architecture} ${name}`);
      assert.equal(out[name]!.data.length, shape.reduce((a, b) => a * b, 1));
      assert.ok(out[name]!.data.every(Number.isFinite));
    }
    const info = model.info();
    assert.equal(info.kind, "encoder");
    assert.equal(info.architecture, architecture);
    assert.equal(model.kind, "encoder");
  }
  // heads: false skips the heads.
  const bare = await randomBert("BertForPreTraining").forward({ inputIds: [short] }, { heads: false });
  assert.deepEqual(Object.keys(bare).sort(), ["lastHiddenState", "poolerOutput"]);
});

test("a BertModel without a pooler has no poolerOutput; extra heads in a file are dropped like HF does", () => {
  const config = parseBertConfig(bertConfig("BertModel"), "config.json");
  const noPooler = buildBert(config, randomBertTensors(bertConfig("BertModel"), 7, { pooler: false }), "memory", jsBackend);
  assert.equal(noPooler.forward({ inputIds: [short] }).poolerOutput, undefined);
  // A BertForMaskedLM file with the pooler and NSP head (as bert-base-uncased ships).
  const mlmConfig = bertConfig("BertForMaskedLM");
  const tensors = randomBertTensors(bertConfig("BertForPreTraining"));
  const mlm = buildBert(parseBertConfig(mlmConfig, "config.json"), tensors, "memory", jsBackend);
  assert.ok(mlm.forward({ inputIds: [short] }).logits !== undefined);
  // Parameter count: embeddings + layers + heads, the tied decoder once.
  const d = 32;
  const ffn = 48;
  const layer = 4 * (d * d + d) + 2 * 2 * d + (ffn * d + ffn) + (d * ffn + d);
  const embeddings = V * d + 40 * d + 2 * d + 2 * d;
  assert.equal(mlm.parameterCount, embeddings + 2 * layer + (d * d + d + 2 * d + V));
});

test("inputs are validated with messages naming the problem", async () => {
  const model = randomBert("BertModel");
  await assert.rejects(model.forward({ inputIds: [] }), InputError);
  await assert.rejects(model.forward({ inputIds: [[2, 3], [2]] }), /inputIds row 1 must have 2 entries/);
  await assert.rejects(model.forward({ inputIds: [new Array<number>(41).fill(5)] }), /41 tokens, more than the 40 this model takes \(max_position_embeddings 40\)/);
  await assert.rejects(model.forward({ inputIds: [[2, V]] }), /inputIds\[0\]\[1\] is \d+; expected a token id/);
  await assert.rejects(model.forward({ inputIds: [[2, 3]], attentionMask: [[1, 2]] }), /attentionMask\[0\]\[1\] is 2/);
  await assert.rejects(model.forward({ inputIds: [[2, 3]], attentionMask: [[0, 0]] }), /masks every token/);
  await assert.rejects(model.forward({ inputIds: [[2, 3]], tokenTypeIds: [[0, 2]] }), /tokenTypeIds\[0\]\[1\] is 2; expected a token type in \[0, 2\)/);
});

test("configs and checkpoints are validated before use", () => {
  assert.throws(() => parseBertConfig(bertConfig("BertForQuestionAnswering"), "c.json"), (e: unknown) => e instanceof ConfigError && /BertForQuestionAnswering" is not supported/.test(e.message));
  assert.throws(() => parseBertConfig(bertConfig("BertModel", { hidden_act: "swish" }), "c.json"), /"hidden_act" "swish" is not supported/);
  assert.throws(() => parseBertConfig(bertConfig("BertModel", { position_embedding_type: "relative_key" }), "c.json"), /position_embedding_type/);
  assert.throws(() => parseBertConfig(bertConfig("BertModel", { hidden_size: 30 }), "c.json"), /not divisible/);
  assert.throws(
    () => parseBertConfig(bertConfig("BertForTokenClassification", { id2label: { "0": "O", "2": "B-PER" } }), "c.json"),
    /"id2label" must map the ids 0..1/,
  );
  // Without id2label, num_labels names LABEL_i.
  assert.deepEqual(parseBertConfig(bertConfig("BertForSequenceClassification", { num_labels: 3 }), "c.json").labels, ["LABEL_0", "LABEL_1", "LABEL_2"]);

  const config = configFor("BertForSequenceClassification");
  const parsed = parseBertConfig(config, "c.json");
  const missing = randomBertTensors(config);
  missing.delete("classifier.weight");
  assert.throws(() => buildBert(parsed, missing, "ckpt", jsBackend), (e: unknown) => e instanceof ModelFormatError && /classifier\.weight.*missing/.test(e.message));
  const extra = randomBertTensors(config);
  extra.set("bert.encoder.layer.9.attention.self.query.weight", { data: new Float32Array(4), shape: [2, 2] });
  assert.throws(() => buildBert(parsed, extra, "ckpt", jsBackend), /unexpected tensors for this architecture: bert\.encoder\.layer\.9/);
  const untied = bertConfig("BertForMaskedLM", { tie_word_embeddings: false });
  assert.throws(() => buildBert(parseBertConfig(untied, "c.json"), randomBertTensors(untied), "ckpt", jsBackend), /cls\.predictions\.decoder\.weight.*missing/);
  const wrongLabels = randomBertTensors(config);
  wrongLabels.set("classifier.bias", { data: new Float32Array(5), shape: [5] });
  assert.throws(() => buildBert(parsed, wrongLabels, "ckpt", jsBackend), /classifier\.bias.*has shape \[5\] but the config implies \[3\]/);
});
