// lmscope-decoder, every position scheme and attention variant: logits equal a
// plain float64 reference written from the papers (helpers/lmscope-reference.ts),
// gradients of the loss agree with finite differences, cached generation (a KV
// cache, a sliding window, or linear attention's running sums) equals recomputing
// the whole sequence, chunked prefill equals one pass, and the generation state
// of sliding-window, linear and Performer layers stays the same size however long
// generation runs — measured, against full attention's, which grows.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { ConfigError, InputError } from "../../../src/errors.js";
import { createModel, loadModel, type LanguageModel } from "../../../src/index.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { DecoderOnlyModel } from "../../../src/models/decoder-only.js";
import { blueprintFor } from "../../../src/models/registry.js";
import type { CapturedValue, CapturePoint, ForwardObserver } from "../../../src/nn/observer.js";
import { referenceForward } from "../../helpers/lmscope-reference.js";
import { randomInts, randomNormal, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";
import { checkModelGradients } from "../../helpers/model-gradient-check.js";

const BASE: JsonObject = {
  model_type: "lmscope-decoder",
  vocab_size: 19,
  hidden_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 17,
  max_position_embeddings: 64,
};

const VARIANTS: [string, JsonObject][] = [
  ["learned positions, full attention, GELU, LayerNorm pre-norm", { position_embedding_type: "learned" }],
  ["sinusoidal positions, ReLU, post-norm", { position_embedding_type: "sinusoidal", mlp: "relu", norm_position: "post" }],
  [
    "RoPE (partial, θ 500), GQA, SwiGLU, RMSNorm, no biases, untied head",
    { position_embedding_type: "rope", rope_theta: 500, partial_rotary_factor: 0.5, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, mlp: "swiglu", norm: "rmsnorm", bias: false, tie_word_embeddings: false },
  ],
  ["ALiBi, multi-query attention", { position_embedding_type: "alibi", num_key_value_heads: 1 }],
  ["no positions (causal mask only)", { position_embedding_type: "none" }],
  ["RoPE, sliding window of 3, GQA", { attention_type: "sliding_window", sliding_window: 3, hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2 }],
  ["ALiBi, sliding window of 4", { position_embedding_type: "alibi", attention_type: "sliding_window", sliding_window: 4 }],
  ["ALiBi, sparse (window 3, stride 4)", { position_embedding_type: "alibi", attention_type: "sparse", sparse_window: 3, sparse_stride: 4 }],
  ["learned positions, sparse (window 2, stride 3), RMSNorm post-norm", { position_embedding_type: "learned", attention_type: "sparse", sparse_window: 2, sparse_stride: 3, norm: "rmsnorm", norm_position: "post" }],
  ["RoPE, linear attention (elu + 1), GQA", { attention_type: "linear", hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2 }],
  ["no positions, linear attention, ReLU, post-norm", { position_embedding_type: "none", attention_type: "linear", mlp: "relu", norm_position: "post" }],
  ["RoPE, Performer (11 features)", { attention_type: "performer", performer_features: 11, performer_seed: 5 }],
  ["sinusoidal positions, Performer, MQA, SwiGLU", { position_embedding_type: "sinusoidal", attention_type: "performer", num_key_value_heads: 1, mlp: "swiglu" }],
];

/** Parameters drawn so that attention is far from uniform (position and mask mistakes then show in the logits). */
function randomize(model: LanguageModel, seed: number): void {
  const random = seededRandom(seed);
  for (const [name, p] of model.namedParameters()) {
    const fanIn = p.shape[1] ?? 1;
    const values =
      p.shape.length === 1
        ? randomNormal(random, p.size, name.endsWith(".bias") ? 0.1 : 0.2, name.endsWith(".bias") ? 0 : 1)
        : /q_proj|k_proj/.test(name)
          ? randomNormal(random, p.size, 1.3 / Math.sqrt(fanIn))
          : /embed/.test(name)
            ? randomNormal(random, p.size, 0.6)
            : randomNormal(random, p.size, 0.8 / Math.sqrt(fanIn));
    p.data.set(values);
  }
}

async function modelOf(overrides: JsonObject, seed = 3, backend: Backend = jsBackend): Promise<{ model: LanguageModel; config: JsonObject }> {
  const config = { ...BASE, ...overrides };
  const model = await createModel(config, { backend, seed: 1 });
  randomize(model, seed);
  return { model, config };
}

function weightsOf(model: LanguageModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([name, p]) => [name, p.data]));
}

for (const [name, overrides] of VARIANTS) {
  test(`${name}: logits equal the plain float64 reference`, async () => {
    const { model, config } = await modelOf(overrides);
    const ids = randomInts(seededRandom(9), 23, config["vocab_size"] as number);
    const { data } = await model.forward([ids]);
    const reference = referenceForward(config, weightsOf(model), ids);
    const diff = maxAbsDiff(data, reference);
    assert.ok(diff <= 2e-5 * Math.max(1, maxAbs(reference)), `max |Δ| ${diff} (max |logit| ${maxAbs(reference)})`);
  });

  test(`${name}: cached generation and chunked prefill equal recomputing the whole sequence`, async () => {
    const { model } = await modelOf(overrides);
    const net = model.network;
    const vocab = net.config.vocabSize;
    const ids = randomInts(seededRandom(10), 26, vocab);
    const full = (n: number) => {
      const out = new Float32Array(n * vocab);
      net.forward(ids.slice(0, n), net.createCache(n), out, "all");
      return out;
    };
    const cache = net.createCache(ids.length);
    const step = new Float32Array(vocab);
    net.forward(ids.slice(0, 5), cache, step, "last");
    for (let t = 5; t <= ids.length; t++) {
      const reference = full(t).subarray((t - 1) * vocab, t * vocab);
      assert.ok(maxAbsDiff(step, reference) <= 1e-5 * Math.max(1, maxAbs(reference)), `position ${t - 1}: ${maxAbsDiff(step, reference)}`);
      if (t < ids.length) net.forward([ids[t]!], cache, step, "last");
    }
    const chunked = new DecoderOnlyModel(net.config, net.parts, net.backend, net.parameterCount, net.parameters, 4);
    const out = new Float32Array(ids.length * vocab);
    chunked.forward(ids, chunked.createCache(ids.length), out, "all");
    const whole = full(ids.length);
    assert.ok(maxAbsDiff(out, whole) <= 1e-5 * Math.max(1, maxAbs(whole)));
  });

  test(`${name}: gradients of the loss agree with finite differences`, async () => {
    const { model } = await modelOf(overrides, 4);
    const random = seededRandom(12);
    const vocab = model.config.vocabSize;
    const rows = [randomInts(random, 10, vocab), randomInts(random, 10, vocab)];
    const batch = { inputIds: rows.map((r) => r.slice(0, 9)), targets: rows.map((r) => r.slice(1)) };
    const loss = await model.loss(batch);
    await loss.backward();
    // A small step: ReLU's kink must not fall inside ±h.
    await checkModelGradients(model, batch, { step: 2e-3, absolute: 2e-3, relative: 3e-2, random });
  });
}

/** A js backend that counts the floats it allocates. */
function countingBackend(): { backend: Backend; allocated: () => number } {
  let floats = 0;
  return {
    backend: { ...jsBackend, allocate: (n) => ((floats += n), jsBackend.allocate(n)) },
    allocated: () => floats,
  };
}

/** Generates `steps` tokens one by one after a 3-token prompt; the state's floats and the backend's allocations after each step. */
async function generationMemory(overrides: JsonObject, steps: number): Promise<{ floats: number[]; allocated: number[] }> {
  const { backend, allocated } = countingBackend();
  const { model } = await modelOf({ ...overrides, max_position_embeddings: 2048 }, 3, backend);
  const net = model.network;
  const state = net.acquireGrowingState();
  const floats: number[] = [];
  const allocations: number[] = [];
  net.forward([1, 2, 3], state.cache, state.logits, "last");
  for (let t = 0; t < steps; t++) {
    net.forward([t % net.config.vocabSize], state.cache, state.logits, "last");
    floats.push(state.cache.floats);
    allocations.push(allocated());
  }
  return { floats, allocated: allocations };
}

for (const [name, overrides, window] of [
  ["sliding window", { attention_type: "sliding_window", sliding_window: 8 }, 8],
  ["linear attention", { attention_type: "linear" }, 0],
  ["Performer", { attention_type: "performer", performer_features: 9 }, 0],
] as const) {
  test(`${name}: generation memory is constant beyond ${window > 0 ? "the window" : "the first token"} (measured over 600 tokens)`, async () => {
    const { floats, allocated } = await generationMemory(overrides, 600);
    const settled = floats.slice(window + 4);
    assert.ok(settled.every((f) => f === settled[0]), `state floats vary: ${[...new Set(settled)].join(", ")}`);
    const later = allocated.slice(window + 4);
    assert.ok(later.every((a) => a === later[0]), "the backend allocated memory during generation");
  });
}

test("full attention's KV cache, by contrast, grows with the sequence", async () => {
  const { floats } = await generationMemory({ attention_type: "full" }, 600);
  assert.ok(floats[599]! > floats[10]!, `${floats[10]} → ${floats[599]}`);
});

test("linear attention's running sums cannot be rewound: continuing at an earlier position is an InputError", async () => {
  const { model } = await modelOf({ attention_type: "linear" });
  const net = model.network;
  const cache = net.createCache(20);
  const logits = new Float32Array(net.config.vocabSize);
  net.forward([1, 2, 3, 4], cache, logits, "last");
  cache.length = 2;
  assert.throws(() => net.forward([5], cache, logits, "last"), (e: unknown) => e instanceof InputError && /cannot be rewound/.test(e.message));
  cache.reset();
  net.forward([1, 2], cache, logits, "last"); // a new sequence from position 0 is fine
});

test("capture points: resid/MLP points for every variant; attention patterns of sparse and linear attention are probabilities", async () => {
  for (const overrides of [{ attention_type: "sparse", sparse_window: 2, sparse_stride: 3 }, { attention_type: "linear" }, { attention_type: "performer" }] as JsonObject[]) {
    const { model } = await modelOf(overrides);
    const net = model.network;
    const seen = new Map<string, CapturedValue>();
    const observer: ForwardObserver = {
      wants: () => true,
      visit: (layer: number, point: CapturePoint, value: CapturedValue) => void seen.set(`${layer}.${point}`, { ...value, data: value.data.slice() }),
    };
    const ids = [1, 5, 7, 2, 9, 11, 3, 4];
    net.forward(ids, net.createCache(ids.length), new Float32Array(ids.length * net.config.vocabSize), "all", observer);
    for (const point of ["resid_pre", "attn.pattern", "attn.z", "attn_out", "resid_mid", "mlp.post", "mlp_out", "resid_post"]) {
      assert.ok(seen.has(`1.${point}`), `${JSON.stringify(overrides)}: no ${point}`);
    }
    const pattern = seen.get("0.attn.pattern")!;
    for (let h = 0; h < pattern.heads; h++) {
      for (let i = 0; i < pattern.rows; i++) {
        let sum = 0;
        for (let t = 0; t < pattern.width; t++) sum += pattern.data[(h * pattern.rows + i) * pattern.width + t]!;
        // 1 up to the normaliser's eps (1e-6 against small feature products)
        assert.ok(sum <= 1 + 1e-5 && sum > 1 - 1e-3, `${JSON.stringify(overrides)} head ${h} row ${i}: weights sum to ${sum}`);
        for (let t = i + 1; t < pattern.width; t++) assert.equal(pattern.data[(h * pattern.rows + i) * pattern.width + t], 0, "a causal row weighs a later key");
      }
    }
  }
});

test("save then loadModel keeps the configuration and the logits; a Performer's redrawn features are saved with it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-decoder-"));
  try {
    const { model } = await modelOf({ attention_type: "performer", position_embedding_type: "sinusoidal", norm: "rmsnorm", mlp: "swiglu" });
    const ids = [[3, 1, 4, 1, 5, 9, 2, 6]];
    const before = (await model.forward(ids)).data;
    model.redrawRandomFeatures(77);
    const redrawn = (await model.forward(ids)).data;
    assert.ok(maxAbsDiff(before, redrawn) > 1e-4, "redrawing the features changed nothing");
    const { config } = await modelOf({ attention_type: "performer", position_embedding_type: "sinusoidal", norm: "rmsnorm", mlp: "swiglu" });
    assert.ok(maxAbsDiff(redrawn, referenceForward(config, weightsOf(model), ids[0]!, { performerSeed: 77 })) < 1e-4);
    await model.save(dir);
    const loaded = await loadModel(dir, { backend: "js" });
    assert.equal(loaded.hfConfig["performer_seed"], 77);
    assert.ok(maxAbsDiff((await loaded.forward(ids)).data, redrawn) < 1e-6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("bad configs are ConfigErrors that name the field", () => {
  const cases: [JsonObject, RegExp][] = [
    [{ positional_embedding_type: "rope" }, /unknown field "positional_embedding_type"/],
    [{ position_embedding_type: "relative" }, /"position_embedding_type" "relative" is not one of/],
    [{ attention_type: "sliding_window" }, /"sliding_window" must be a positive integer/],
    [{ attention_type: "sparse", sparse_window: 4 }, /"sparse_stride"/],
    [{ sliding_window: 4 }, /"sliding_window" belongs to "attention_type": "sliding_window"/],
    [{ position_embedding_type: "alibi", attention_type: "linear" }, /biases softmax scores/],
    [{ position_embedding_type: "learned", rope_theta: 100 }, /"rope_theta" is a RoPE setting/],
    [{ mlp: "swish" }, /"mlp" "swish" is not one of "relu", "gelu", "swiglu"/],
    [{ norm_position: "sandwich" }, /"norm_position"/],
    [{ num_key_value_heads: 2 }, /not divisible/],
    [{ partial_rotary_factor: 0.1 }, /rotary dimension/],
  ];
  for (const [overrides, pattern] of cases) {
    assert.throws(() => blueprintFor({ ...BASE, ...overrides }, "config.json"), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), JSON.stringify(overrides));
  }
});
