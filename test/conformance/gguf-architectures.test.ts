// The GGUF writer on the shared decoder fixtures (../shared/fixtures/models): each fixture
// whose model_type lmscope writes is converted, from a temporary folder that links its
// config.json and model.safetensors and adds a small tokenizer of the kind the family
// ships (so that llama.cpp, which needs a vocabulary, loads the file), to f32, f16, q8_0
// and q4_k_m. Read back by lmscope, the f32 file gives the reference logits within the
// fixtures' tolerance and the greedy ids exactly; f16 and the quantized mixes stay within
// their rounding. When node-llama-cpp is installed, llama.cpp loads every file, tokenizes
// like lmscope's GGUF tokenizer, gives the same logits at every position (within its own
// numerics: f16-rounded GELU, f16 activations against f16 weights, quantized activations
// in the tied head) and the same greedy ids wherever lmscope's top-1/top-2 margin exceeds
// that difference. Fixtures llama.cpp cannot run as they stand (SmolLM3 with NoPE off the
// 4th-layer step) are refused; a sliding window llama.cpp lacks (Mistral) is dropped with a
// warning and only the positions it does not reach are compared. Gemma 1 and Qwen 2 (no
// shared fixtures) and SmolLM3 with llama.cpp's NoPE step are checked on random
// checkpoints the same way.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { GGUF_WRITABLE_MODEL_TYPES, modelToGguf, type GgufContent, type GgufOutputType } from "../../src/io/gguf-convert.js";
import { writeGguf } from "../../src/io/gguf.js";
import { loadGgufDecoder } from "../../src/io/gguf-model.js";
import { LanguageModel, loadModel } from "../../src/language-model.js";
import type { JsonObject } from "../../src/models/config-reader.js";
import { writeFamilyFolder } from "../helpers/family-folders.js";
import { loadLlamaCpp } from "../helpers/llama-cpp.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, maxAbsDiff, readF32, readJson } from "../helpers/reference.js";
import { TOKENIZER_PROBES, byteLevelTokenizer, sentencePieceTokenizer, writeTokenizerFiles } from "../helpers/tiny-tokenizers.js";

interface Case {
  name: string;
  kind: string;
  inputs: { input_ids?: number[][]; prompt_ids?: number[] };
  outputs: { logits?: { file: string; shape: number[] }; generated_ids?: number[] };
  max_new_tokens?: number;
}
interface Index {
  models: { model: string; model_type: string }[];
}

const FIXTURES = join(SHARED, "fixtures/models");
const MIXES: readonly GgufOutputType[] = ["f32", "f16", "q8_0", "q4_k_m"];
/** max |Δ| / max |reference logit| allowed for a mix read back by lmscope (f32: the fixtures' own tolerance). */
const REFERENCE_BOUND: Record<string, number> = { f16: 5e-3, q8_0: 0.1, q4_k_m: 0.4 };
/** Refusals expected for fixtures llama.cpp cannot run as they stand. */
const REFUSED: Record<string, RegExp> = { smollm3: /leaves RoPE out of every 4th layer/ };

/** A tokenizer of the kind each family ships, smaller than the fixtures' vocabularies. */
async function addTokenizer(dir: string, modelType: string): Promise<void> {
  if (modelType.startsWith("gemma")) {
    await writeTokenizerFiles(dir, sentencePieceTokenizer(400, false), { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" });
  } else if (modelType === "phi3" || modelType === "llama" || modelType === "mistral") {
    // llama.cpp requires these tokens in any model it takes for a Phi-3 by its name.
    const extra = modelType === "phi3" ? ["<|endoftext|>", "<|end|>"] : [];
    await writeTokenizerFiles(dir, sentencePieceTokenizer(400, true, extra), { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", add_bos_token: true });
  } else {
    const style = modelType === "olmo2" ? "llama3" : modelType === "granite" ? "gpt2" : "qwen2";
    await writeTokenizerFiles(dir, byteLevelTokenizer(style, 400, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]), { eos_token: "<|endoftext|>", add_bos_token: false });
  }
}

/** Positions of a forward case whose logits do not depend on keys further back than `window` (all when 0). */
function comparedRows(c: Case, window: number): number {
  const length = c.inputs.input_ids![0]!.length;
  return window === 0 ? length : Math.min(length, window);
}

/** max |Δ| over the first `rows` positions of every sequence of a [batch, seq, vocab] pair. */
function maxDiffRows(a: Float32Array, b: Float32Array, shape: number[], rows: number): number {
  const [batch, seq, vocab] = shape as [number, number, number];
  let worst = 0;
  for (let s = 0; s < batch; s++) {
    const from = s * seq * vocab;
    worst = Math.max(worst, maxAbsDiff(a.subarray(from, from + rows * vocab), b.subarray(from, from + rows * vocab)));
  }
  return worst;
}

async function greedyWithMargins(model: LanguageModel, prompt: number[], count: number): Promise<{ ids: number[]; margins: number[] }> {
  const ids: number[] = [];
  const margins: number[] = [];
  const sequence = [...prompt];
  for (let step = 0; step < count; step++) {
    const logits = (await model.forward([sequence])).data;
    const vocab = logits.length / sequence.length;
    const last = logits.subarray((sequence.length - 1) * vocab);
    let best = 0;
    for (let t = 1; t < vocab; t++) if (last[t]! > last[best]!) best = t;
    let second = -Infinity;
    for (let t = 0; t < vocab; t++) if (t !== best && last[t]! > second) second = last[t]!;
    ids.push(best);
    margins.push(last[best]! - second);
    sequence.push(best);
  }
  return { ids, margins };
}

const index = readJson<Index>(join(FIXTURES, "index.json"));
const fixtures = index.models.filter((m) => GGUF_WRITABLE_MODEL_TYPES.includes(m.model_type));

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), "gguf-conformance-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

it("the fixtures include every architecture the brief names", () => {
  const types = new Set(fixtures.map((f) => f.model_type));
  for (const t of ["qwen3", "gemma2", "gemma3_text", "phi3"]) assert.ok(types.has(t), `no ${t} fixture`);
});

for (const entry of fixtures) {
  const fixture = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(fixture, "reference/manifest.json"));
  const config = readJson<{ sliding_window?: number | null; model_type: string }>(join(fixture, "config.json"));
  const forward = manifest.cases.filter((c) => c.kind === "forward");
  const greedy = manifest.cases.find((c) => c.kind === "greedy_generation")!;

  describe(`GGUF writer on ${entry.model}`, () => {
    let source: string;
    const files = new Map<string, GgufContent>();
    before(async () => {
      source = join(work, entry.model);
      await mkdir(source);
      for (const f of ["config.json", "model.safetensors"]) await symlink(join(fixture, f), join(source, f));
      await addTokenizer(source, entry.model_type);
    });

    const refusal = REFUSED[entry.model_type];
    if (refusal !== undefined) {
      it("is refused with a ConfigError that says why", async () => {
        await assert.rejects(modelToGguf(source, "f32"), (e: unknown) => e instanceof ConfigError && refusal.test(e.message));
      });
      return;
    }

    // Mistral's window: the GGUF file (llama.cpp's "llama") attends to every position.
    const window = entry.model_type === "mistral" && typeof config.sliding_window === "number" ? config.sliding_window : 0;

    for (const mix of MIXES) {
      it(`${mix}: lmscope reads the file back to the reference logits${mix === "f32" ? " and greedy ids" : ""}`, async () => {
        const content = await modelToGguf(source, mix);
        files.set(mix, content);
        assert.equal(content.warnings.some((w) => /has no sliding window/.test(w)), window > 0);
        const path = join(work, `${entry.model}-${mix}.gguf`);
        await writeGguf(path, content);
        const model = new LanguageModel(await loadGgufDecoder(path));
        const report: string[] = [];
        for (const c of forward) {
          const expected = readF32(join(fixture, "reference", c.outputs.logits!.file));
          const got = (await model.forward(c.inputs.input_ids!)).data;
          const diff = maxDiffRows(got, expected, c.outputs.logits!.shape, comparedRows(c, window));
          const bound = mix === "f32" ? Math.min(1e-4 * maxAbs(expected), 2e-5) : REFERENCE_BOUND[mix]! * maxAbs(expected);
          report.push(`${c.name} ${diff.toExponential(2)}`);
          assert.ok(diff <= bound, `${c.name}: max |Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
        }
        if (mix === "f32" && window === 0) {
          const ids: number[] = [];
          for await (const piece of model.generate({ ids: greedy.inputs.prompt_ids! }, { maxTokens: greedy.max_new_tokens!, temperature: 0, stopOnEos: false })) {
            if (piece.tokenId !== null) ids.push(piece.tokenId);
          }
          assert.deepEqual(ids, greedy.outputs.generated_ids);
        }
        process.stdout.write(`# ${entry.model} ${mix}: max |Δ| vs the reference: ${report.join(", ")}\n`);
      });
    }

    for (const mix of MIXES) {
      it(`${mix}: llama.cpp loads the file, tokenizes, computes and decodes as lmscope does`, async (t) => {
        assert.ok(files.has(mix), "the file was written by the test above");
        const reference = mix === "f32" && window === 0 ? greedy.outputs.generated_ids! : undefined;
        await llamaCppAgrees(t, join(work, `${entry.model}-${mix}.gguf`), entry.model_type, mix, forward[0]!.inputs.input_ids![0]!, greedy.inputs.prompt_ids!, greedy.max_new_tokens!, window, reference);
      });
    }
  });
}

/**
 * Architectures without a shared fixture that llama.cpp runs as they stand (Gemma 1; Qwen 2
 * with its biases; SmolLM3 with NoPE on every 4th layer): random checkpoints written by the
 * families' own initializer, lmscope's Hugging Face load as the reference.
 */
const GENERATED: Record<string, JsonObject> = {
  gemma: {
    model_type: "gemma", vocab_size: 512, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 1, head_dim: 32, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 1e4, bos_token_id: 2, eos_token_id: 1,
    hidden_activation: "gelu_pytorch_tanh",
  },
  qwen2: {
    model_type: "qwen2", vocab_size: 512, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 2, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 1e6, bos_token_id: 1, eos_token_id: 2, tie_word_embeddings: false,
  },
  smollm3: {
    model_type: "smollm3", vocab_size: 512, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 4, num_attention_heads: 4,
    num_key_value_heads: 2, max_position_embeddings: 128, rms_norm_eps: 1e-6, rope_theta: 2e6, no_rope_layers: [1, 1, 1, 0],
    bos_token_id: 1, eos_token_id: 2, tie_word_embeddings: true,
  },
};
const GENERATED_IDS = [3, 141, 59, 265, 358, 97, 93, 238, 462, 64, 33];
const GENERATED_PROMPT = [271, 82, 81, 28, 18];

for (const [modelType, config] of Object.entries(GENERATED)) {
  describe(`GGUF writer on a random ${modelType} checkpoint`, () => {
    let source: string;
    before(async () => {
      source = join(work, `${modelType}-random`);
      await writeFamilyFolder(source, config, 29);
      await addTokenizer(source, modelType);
    });

    for (const mix of MIXES) {
      it(`${mix}: lmscope reads the file back to the checkpoint's logits; llama.cpp computes and decodes as lmscope does`, async (t) => {
        const path = join(work, `${modelType}-random-${mix}.gguf`);
        await writeGguf(path, await modelToGguf(source, mix));
        const expected = (await (await loadModel(source)).forward([GENERATED_IDS])).data;
        const got = (await new LanguageModel(await loadGgufDecoder(path)).forward([GENERATED_IDS])).data;
        const diff = maxAbsDiff(got, expected);
        const bound = (mix === "f32" ? 1e-5 : REFERENCE_BOUND[mix]!) * maxAbs(expected);
        process.stdout.write(`# ${modelType} (random) ${mix}: max |Δ| vs the checkpoint ${diff.toExponential(2)}\n`);
        assert.ok(diff <= bound, `max |Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
        await llamaCppAgrees(t, path, modelType, mix, GENERATED_IDS, GENERATED_PROMPT, 20, 0, undefined);
      });
    }
  });
}

/**
 * llama.cpp loads `path`, tokenizes the probes as lmscope's GGUF tokenizer, gives lmscope's
 * logits at every position of `ids` (within llama.cpp's own rounding) and lmscope's greedy
 * ids after `prompt` wherever lmscope's top-1/top-2 margin exceeds twice that difference
 * (`reference`: the ids llama.cpp must give exactly). Skipped without node-llama-cpp.
 */
async function llamaCppAgrees(
  t: { skip(message: string): void },
  path: string,
  modelType: string,
  mix: GgufOutputType,
  ids: readonly number[],
  prompt: readonly number[],
  count: number,
  window: number,
  reference: readonly number[] | undefined,
): Promise<void> {
  const theirs = await loadLlamaCpp(path);
  if (theirs === null) return t.skip("node-llama-cpp is not installed (npm install --no-save node-llama-cpp@3.22.1)");
  try {
    const ours = new LanguageModel(await loadGgufDecoder(path));
    for (const text of TOKENIZER_PROBES) assert.deepEqual(theirs.tokenize(text), ours.tokenizer!.encode(text, { addSpecialTokens: false }), JSON.stringify(text));

    const mine = (await ours.forward([[...ids]])).data;
    const vocab = mine.length / ids.length;
    const llamaCpp = await theirs.logits(ids, vocab);
    const scale = maxAbs(mine);
    // llama.cpp's own rounding: GELU through an f16 table (Gemma, GPT-2), f16 activations
    // against f16 weights, quantized activations in a quantized tied head (lmscope keeps it f32).
    const gelu = modelType.startsWith("gemma") || modelType === "gpt2";
    const bound = (mix === "f32" ? (gelu ? 2e-3 : 1e-5) : mix === "f16" ? 3e-3 : 4e-2) * scale;
    const rows = window === 0 ? ids.length : Math.min(ids.length, window);
    const diff = maxAbsDiff(llamaCpp.subarray(0, rows * vocab), mine.subarray(0, rows * vocab));
    assert.ok(diff <= bound, `logits: max |Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);

    const theirIds = await theirs.greedy(prompt, count);
    const { ids: ourIds, margins } = await greedyWithMargins(ours, [...prompt], count);
    let agree = 0;
    while (agree < count && theirIds[agree] === ourIds[agree]) agree++;
    // After a window binds, the file (full attention) and the checkpoint differ by design.
    const close = window > 0 ? Math.max(0, window - prompt.length) : margins.findIndex((m) => m <= 2 * diff + 1e-6);
    const required = close < 0 ? count : close;
    process.stdout.write(
      `# ${path.replace(/^.*\//, "")}: llama.cpp vs lmscope logits max |Δ| ${diff.toExponential(2)} (max |logit| ${scale.toFixed(3)}); ` +
        `greedy agrees for ${agree}/${count} steps (required ${required})` +
        (reference === undefined ? "" : `; llama.cpp's ids ${JSON.stringify(theirIds) === JSON.stringify(reference) ? "equal" : "differ from"} the reference`) + "\n",
    );
    assert.ok(agree >= required, `greedy: llama.cpp ${JSON.stringify(theirIds)}, lmscope ${JSON.stringify(ourIds)}`);
    if (reference !== undefined) assert.deepEqual(theirIds, reference);
  } finally {
    await theirs.dispose();
  }
}
