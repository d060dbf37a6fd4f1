// ggml's quantized formats against ggml itself (../shared/fixtures/quants, see its README):
// A. per type, one matrix quantized by ggml — read through the GGUF reader, it dequantizes
//    to ggml's values bit for bit; lmscope's quantizer writes ggml's bytes (and so its RMS
//    error is ggml's); the activations are quantized to ggml's bytes; the js reference
//    matmul equals ggml's result bit for bit, and the WASM kernels (1 and 2 threads) are
//    within float32 reordering of it.
// B. per quantization mix of the tiny Llama, the file's logits are within the error of an
//    engine that quantizes activations as ggml does (`max_abs_ggml_mul_mat_vs_reference`,
//    plus 10% and float32 noise), and the greedy ids are the reference's at every step
//    whose top-1/top-2 margin exceeds that error — on js and wasm.
// C. `lmscope quantize` of the F32 mix into every other mix chooses the fixture file's
//    type for every tensor (llama-quantize's rules) and writes the same tensor values
//    (reporting whether the whole file is byte-identical); when node-llama-cpp is
//    installed, llama.cpp loads each file lmscope wrote and greedy-decodes the reference
//    ids up to the first step whose margin is within the activation-quantization error.
// Shapes, row lengths and per-tensor types come from the manifests, never from here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { jsBackend } from "../../src/backend/js/index.js";
import { quantizeActivations } from "../../src/backend/js/activation-quant.js";
import type { Backend } from "../../src/backend/backend.js";
import { createWasmBackend, type WasmBackend } from "../../src/backend/wasm/index.js";
import { parseGguf, readGguf } from "../../src/io/gguf.js";
import { loadGgufDecoder } from "../../src/io/gguf-model.js";
import { LanguageModel } from "../../src/language-model.js";
import { BLOCK_FORMATS, isBlockQuantType, type ActivationFormat } from "../../src/tensor/block-formats.js";
import { dequantize, quantizeMatrix, type QuantizeType } from "../../src/tensor/quantize.js";
import type { WeightMatrix } from "../../src/tensor/weights.js";
import { SHARED } from "../helpers/paths.js";
import { readF32, readJson } from "../helpers/reference.js";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { quantizeCommand } from "../../src/cli/commands/quantize.js";
import { GGUF_OUTPUT_TYPES } from "../../src/io/gguf-convert.js";
import { loadNodeLlamaCpp } from "../../bench/peers/node-llama-cpp.js";

const QUANTS = join(SHARED, "fixtures/quants");

interface ArrayEntry {
  file: string;
  shape: number[];
}
interface BlockType {
  type_id: number;
  activation_type: string;
  files: Record<"src" | "q" | "deq" | "x" | "act" | "matmul" | "matmul_deq_f64ref" | "matmul_x86", ArrayEntry>;
  errors: { max_abs_matmul_x86_vs_generic: number; per_element_abs_matmul_vs_exact: number[][] };
}
interface MixIndex {
  mixes: { mix: string; file: string; manifest: string; tensor_types: Record<string, string> }[];
}
interface MixManifest {
  file: { sha256: string };
  "general.file_type": number;
  tensors: { name: string; type: string }[];
  reference: {
    cases: { name: string; input_ids: number[]; logits: ArrayEntry; max_abs_ggml_mul_mat_vs_reference: number }[];
    greedy: { prompt: number[]; ids: number[]; top1_top2_margins: number[] };
  };
}

const index = readJson<{ blocks: string; models: string[] }>(join(QUANTS, "index.json"));
const blocksDir = join(QUANTS, index.blocks, "..");
const blockTypes = readJson<{ types: Record<string, BlockType> }>(join(QUANTS, index.blocks)).types;
const bytes = (path: string) => new Uint8Array(readFileSync(path));

/** A GGUF file (version 3, no metadata) holding one 2-D tensor "w" of ggml type `typeId`. */
function singleTensorGguf(typeId: number, rows: number, cols: number, data: Uint8Array): Uint8Array {
  const header: number[] = [];
  const u32 = (v: number) => header.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const u64 = (v: number) => (u32(v), u32(0));
  u32(0x46554747);
  u32(3);
  u64(1);
  u64(0);
  u64(1);
  header.push(0x77); // name "w"
  u32(2);
  u64(cols);
  u64(rows);
  u32(typeId);
  u64(0);
  const start = Math.ceil(header.length / 32) * 32;
  const out = new Uint8Array(start + Math.ceil(data.length / 32) * 32);
  out.set(header);
  out.set(data, start);
  return out;
}

const wasm: { one?: WasmBackend; two?: WasmBackend } = {};
before(async () => {
  wasm.one = await createWasmBackend({ threads: 1 });
  wasm.two = await createWasmBackend({ threads: 2 });
});
after(() => {
  wasm.one?.dispose();
  wasm.two?.dispose();
});

describe("ggml block fixtures", () => {
  for (const [name, t] of Object.entries(blockTypes)) {
    const type = name.toLowerCase() as QuantizeType;
    const [rows, cols] = t.files.src.shape as [number, number];
    const file = (role: keyof BlockType["files"]) => join(blocksDir, t.files[role].file);
    const matrix = (): WeightMatrix => {
      const tensor = parseGguf(singleTensorGguf(t.type_id, rows, cols, bytes(file("q"))), `${name}.gguf`).tensors.get("w")!;
      assert.equal(tensor.kind, "matrix");
      return (tensor as { matrix: WeightMatrix }).matrix;
    };

    it(`${name}: read through GGUF, dequantizes to ggml's values bit for bit`, () => {
      const ours = dequantize(matrix());
      const theirs = readF32(file("deq"));
      const a = new Uint32Array(ours.buffer);
      const b = new Uint32Array(theirs.buffer);
      const differing = a.findIndex((v, i) => v !== b[i]);
      assert.equal(differing, -1, `element ${differing}: ${ours[differing]} vs ggml ${theirs[differing]}`);
    });

    it(`${name}: lmscope's quantizer writes ggml's bytes; its RMS error is ggml's`, () => {
      const src = readF32(file("src"));
      const ours = quantizeMatrix(src, rows, cols, type);
      const rms = (deq: Float32Array) => Math.sqrt(deq.reduce((s, v, i) => s + (v - src[i]!) ** 2, 0) / deq.length);
      const oursRms = rms(dequantize(ours));
      const ggmlRms = rms(readF32(file("deq")));
      process.stdout.write(`# ${name}: quantization RMS error ${oursRms.toExponential(4)} (ggml ${ggmlRms.toExponential(4)})\n`);
      assert.ok(oursRms <= ggmlRms * 1.05, `RMS error ${oursRms} is more than 5% above ggml's ${ggmlRms}`);
      const reread = matrix();
      const same = (a: WeightMatrix, b: WeightMatrix): boolean =>
        "blocks" in a && "blocks" in b
          ? a.blocks.every((v, i) => v === b.blocks[i])
          : "quants" in a && "quants" in b && a.quants.every((v, i) => v === b.quants[i]) && a.scales.every((v, i) => Object.is(v, b.scales[i]));
      assert.ok(same(ours, reread), "the quantized bytes differ from ggml's");
    });

    it(`${name}: activations quantized to ggml's ${t.activation_type} bytes`, () => {
      const format = (isBlockQuantType(type) ? BLOCK_FORMATS[type].activation : "q8_0") as ActivationFormat;
      assert.equal(format, t.activation_type.toLowerCase());
      const ours = quantizeActivations(format, readF32(file("x")), t.files.x.shape[0]!, cols);
      assert.deepEqual([...ours], [...bytes(file("act"))]);
    });

    it(`${name}: matmul equals ggml's bit for bit (js); WASM on 1 and 2 threads within float32 reordering`, () => {
      const x = readF32(file("x"));
      const m = t.files.x.shape[0]!;
      const ggml = readF32(file("matmul"));
      const exact = readF32(file("matmul_deq_f64ref"));
      const w = matrix();
      const js = new Float32Array(m * rows);
      jsBackend.matmul(js, x, w, null, m);
      assert.deepEqual([...js], [...ggml], "js reference vs ggml's generic kernels");
      const tolerance = 4 * t.errors.max_abs_matmul_x86_vs_generic + 1e-6 * ggml.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      for (const [label, backend] of [["1 thread", wasm.one!], ["2 threads", wasm.two!]] as const) {
        const out = new Float32Array(m * rows);
        backend.matmul(out, x, backend.uploadMatrix(w), null, m);
        for (let i = 0; i < out.length; i++) {
          assert.ok(Math.abs(out[i]! - ggml[i]!) <= tolerance, `wasm ${label} output ${i}: ${out[i]} vs ggml ${ggml[i]} (tolerance ${tolerance})`);
          // ggml's own error against the exact product, as the manifest gives it (4 significant digits).
          const ggmlError = t.errors.per_element_abs_matmul_vs_exact[Math.floor(i / rows)]![i % rows]!;
          const bound = ggmlError * 1.001 + tolerance;
          assert.ok(Math.abs(out[i]! - exact[i]!) <= bound, `wasm ${label} output ${i}: ${out[i]} is ${Math.abs(out[i]! - exact[i]!)} from the exact product (ggml: ${ggmlError})`);
        }
      }
    });
  }
});

function argmaxAndMargin(row: Float32Array): [number, number] {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  let second = -Infinity;
  for (let i = 0; i < row.length; i++) if (i !== best) second = Math.max(second, row[i]!);
  return [best, row[best]! - second];
}

for (const modelIndex of index.models) {
  const modelDir = join(QUANTS, modelIndex, "..");
  const mixes = readJson<MixIndex>(join(QUANTS, modelIndex)).mixes;
  describe(`GGUF mixes of ${modelIndex}`, () => {
    for (const mix of mixes) {
      const manifest = readJson<MixManifest>(join(modelDir, mix.manifest));
      const path = join(modelDir, mix.file);
      const mixDir = join(modelDir, mix.manifest, "..");
      const tolerance = Math.max(...manifest.reference.cases.map((c) => c.max_abs_ggml_mul_mat_vs_reference)) * 1.1 + 1e-3;

      it(`${mix.mix}: every tensor is read in the file's type`, async () => {
        const file = await readGguf(path);
        for (const [name, type] of Object.entries(mix.tensor_types)) assert.equal(file.tensors.get(name)?.type, type, name);
      });

      for (const [label, backendOf] of [["js", () => jsBackend], ["wasm", () => wasm.two!]] as [string, () => Backend][]) {
        it(`${mix.mix} on ${label}: logits within ${tolerance.toFixed(3)} of the reference; greedy ids where the margin exceeds it`, async () => {
          const model = new LanguageModel(await loadGgufDecoder(path, { backend: backendOf() }));
          const report: string[] = [];
          for (const c of manifest.reference.cases) {
            const expected = readF32(join(mixDir, c.logits.file));
            const { data } = await model.forward([c.input_ids]);
            let worst = 0;
            for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(data[i]! - expected[i]!));
            report.push(`${c.name} ${worst.toFixed(4)} (ggml ${c.max_abs_ggml_mul_mat_vs_reference})`);
            assert.ok(worst <= tolerance, `${c.name}: max |Δ logit| ${worst} > ${tolerance}`);
          }
          // Teacher-forced: at every step the reference's id, unless its margin is within the error.
          const { prompt, ids, top1_top2_margins: margins } = manifest.reference.greedy;
          const sequence = [...prompt, ...ids.slice(0, -1)];
          const { data, shape } = await model.forward([sequence]);
          const vocab = shape[2];
          let checked = 0;
          for (let s = 0; s < ids.length; s++) {
            if (margins[s]! <= tolerance) continue;
            const position = prompt.length - 1 + s;
            const [id] = argmaxAndMargin(data.subarray(position * vocab, (position + 1) * vocab));
            assert.equal(id, ids[s], `greedy step ${s} (margin ${margins[s]})`);
            checked++;
          }
          // Free-running greedy decoding agrees until the first step whose margin is within the error.
          const firstClose = margins.findIndex((m) => m <= tolerance);
          const agreeUntil = firstClose < 0 ? ids.length : firstClose;
          const generated: number[] = [];
          for await (const piece of model.generate({ ids: prompt }, { maxTokens: ids.length, temperature: 0, stopOnEos: false })) {
            if (piece.tokenId !== null) generated.push(piece.tokenId);
          }
          assert.deepEqual(generated.slice(0, agreeUntil), ids.slice(0, agreeUntil));
          process.stdout.write(`# ${mix.mix} ${label}: ${report.join(", ")}; greedy ${checked}/${ids.length} steps checked\n`);
        });
      }
    }
  });
}

/** Greedy decoding of `count` tokens from `prompt` by llama.cpp (node-llama-cpp) on a GGUF file, or null when it is not installed. */
async function llamaCppGreedy(path: string, prompt: number[], count: number): Promise<number[] | null> {
  const nodeLlamaCpp = await loadNodeLlamaCpp();
  if (nodeLlamaCpp === null) return null;
  const llama = await nodeLlamaCpp.getLlama({ gpu: false, build: "never", logLevel: "error" });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const context = await model.createContext({
      contextSize: 64, threads: 1, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
    });
    const ids: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
      ids.push(token as number);
      if (ids.length >= count) break;
    }
    await context.dispose();
    return ids;
  } finally {
    await model.dispose();
  }
}

for (const modelIndex of index.models) {
  const modelDir = join(QUANTS, modelIndex, "..");
  const mixes = readJson<MixIndex>(join(QUANTS, modelIndex)).mixes;
  const manifests = new Map(mixes.map((m) => [m.mix, readJson<MixManifest>(join(modelDir, m.manifest))]));
  const source = mixes.find((m) => manifests.get(m.mix)!["general.file_type"] === 0);
  describe(`lmscope quantize of ${modelIndex}`, () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "lmscope-quants-"));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    for (const mix of mixes.filter((m) => (GGUF_OUTPUT_TYPES as readonly string[]).includes(m.mix.toLowerCase()))) {
      const manifest = manifests.get(mix.mix)!;
      it(`${mix.mix}: llama-quantize's type for every tensor, ggml's values; llama.cpp loads the file and decodes the reference`, async (t) => {
        assert.ok(source !== undefined, "the index has an F32 mix to quantize from");
        const out = join(dir, `${mix.mix}.gguf`);
        const io = { stdout: { write: () => true }, stderr: { write: () => true } };
        assert.equal(await quantizeCommand.run(["--type", mix.mix.toLowerCase(), join(modelDir, source.file), out], io as never), 0);
        const ours = await readGguf(out);
        const theirs = await readGguf(join(modelDir, mix.file));
        assert.equal(ours.metadata.get("general.file_type")?.value, manifest["general.file_type"]);
        assert.deepEqual(Object.fromEntries([...ours.tensors].map(([n, tensor]) => [n, tensor.type])), mix.tensor_types);
        for (const [name, tensor] of ours.tensors) {
          const values = (x: typeof tensor) => new Uint32Array((x.kind === "matrix" ? dequantize(x.matrix) : x.data.slice()).buffer);
          assert.deepEqual(values(tensor), values(theirs.tensors.get(name)!), `${name}: values differ from the fixture file's`);
        }
        const identical = createHash("sha256").update(readFileSync(out)).digest("hex") === manifest.file.sha256;
        process.stdout.write(`# ${mix.mix}: lmscope's file is ${identical ? "byte-identical to" : "not byte-identical to (same tensor values as)"} the fixture\n`);

        const { prompt, ids, top1_top2_margins: margins } = manifest.reference.greedy;
        const theirsIds = await llamaCppGreedy(out, prompt, ids.length);
        if (theirsIds === null) return t.skip("node-llama-cpp is not installed (npm install --no-save node-llama-cpp@3.22.1)");
        const tolerance = Math.max(...manifest.reference.cases.map((c) => c.max_abs_ggml_mul_mat_vs_reference)) * 1.1 + 1e-3;
        const firstClose = margins.findIndex((m) => m <= tolerance);
        const agreeUntil = firstClose < 0 ? ids.length : firstClose;
        process.stdout.write(`# ${mix.mix}: llama.cpp greedy ${JSON.stringify(theirsIds)} (reference ${JSON.stringify(ids)}, compared up to step ${agreeUntil})\n`);
        assert.deepEqual(theirsIds.slice(0, agreeUntil), ids.slice(0, agreeUntil));
      });
    }
  });
}
