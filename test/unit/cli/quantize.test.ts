// `lmscope quantize` end to end on a tiny random Llama whose rows split into 256-blocks
// (hidden 256) except ffn_down's (320 columns: the fallbacks): every mix writes a file
// with llama-quantize's types and `general.file_type`, that lmscope loads and runs on js
// and wasm close to the same weights dequantized (only the 8-bit activations differ; an
// activation that the two backends' float32 rounding puts on either side of a
// quantization step can move a logit by that much too); an unknown --type is refused
// naming the mixes.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createBackend, disposeBackend } from "../../../src/backend/select.js";
import type { Backend } from "../../../src/backend/backend.js";
import { main } from "../../../src/cli/main.js";
import { readGguf, writeGguf } from "../../../src/io/gguf.js";
import { dequantize } from "../../../src/tensor/quantize.js";
import { loadGgufDecoder } from "../../../src/io/gguf-model.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { LanguageModel, loadModel } from "../../../src/language-model.js";
import { captureIo } from "../../helpers/capture.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

const CONFIG = { ...LLAMA_CONFIG, hidden_size: 256, intermediate_size: 320, num_attention_heads: 4, num_key_value_heads: 2 };
const IDS = [[1, 5, 9, 17, 33, 2, 40, 41, 7, 3, 12, 60]];

let dir: string;
let folder: string;
let wasm: Backend;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmscope-quantize-"));
  folder = join(dir, "llama");
  await mkdir(folder);
  await writeFile(join(folder, "config.json"), JSON.stringify(CONFIG));
  await writeSafetensors(join(folder, "model.safetensors"), [...randomLlama(CONFIG, 3)].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  wasm = await createBackend({ backend: "wasm", threads: 2 });
});
after(async () => {
  disposeBackend(wasm);
  await rm(dir, { recursive: true, force: true });
});

/** Expected types: [mix, file_type, attn_q, attn_v L0, attn_v L1, ffn_down L0, ffn_down L1, output]. */
const MIXES: [string, number, string, string, string, string, string, string][] = [
  ["q4_k_m", 15, "Q4_K", "Q4_K", "Q6_K", "Q5_0", "Q8_0", "Q6_K"],
  ["q5_k_m", 17, "Q5_K", "Q5_K", "Q6_K", "Q5_1", "Q8_0", "Q6_K"],
  ["q6_k", 18, "Q6_K", "Q6_K", "Q6_K", "Q8_0", "Q8_0", "Q6_K"],
  ["q3_k_m", 12, "Q3_K", "Q5_K", "Q5_K", "Q5_0", "Q5_0", "Q6_K"],
  ["q2_k", 10, "Q2_K", "Q3_K", "Q3_K", "Q4_0", "Q4_0", "Q6_K"],
  ["iq4_xs", 30, "IQ4_XS", "IQ4_XS", "IQ4_XS", "IQ4_NL", "IQ4_NL", "Q6_K"],
  ["q4_0", 2, "Q4_0", "Q4_0", "Q4_0", "Q4_0", "Q4_0", "Q6_K"],
  ["q8_0", 7, "Q8_0", "Q8_0", "Q8_0", "Q8_0", "Q8_0", "Q8_0"],
];

describe("lmscope quantize", () => {
  for (const [mix, fileType, attnQ, v0, v1, down0, down1, output] of MIXES) {
    it(`${mix}: llama-quantize's types, general.file_type ${fileType}; runs as its dequantized weights do, on js and wasm`, async () => {
      const path = join(dir, `${mix}.gguf`);
      const io = captureIo();
      assert.equal(await main(["quantize", "--type", mix, folder, path], io), 0, io.stderr.text);
      assert.match(io.stdout.text, new RegExp(`wrote ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: 21 tensors`));
      const file = await readGguf(path);
      assert.equal(file.metadata.get("general.file_type")?.value, fileType);
      assert.equal(file.metadata.get("general.quantization_version")?.value, 2);
      const type = (name: string) => file.tensors.get(name)?.type;
      assert.deepEqual(
        [type("blk.0.attn_q.weight"), type("blk.0.attn_v.weight"), type("blk.1.attn_v.weight"), type("blk.0.ffn_down.weight"), type("blk.1.ffn_down.weight"), type("output.weight")],
        [attnQ, v0, v1, down0, down1, output],
      );
      assert.equal(type("blk.0.attn_norm.weight"), "F32");
      // The same weights dequantized into an F32 file: only the kernels' 8-bit activations differ.
      const dequantizedPath = join(dir, `${mix}-dequantized.gguf`);
      await writeGguf(dequantizedPath, {
        metadata: file.metadata,
        tensors: [...file.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, data: t.kind === "matrix" ? dequantize(t.matrix) : t.data })),
      });
      const dequantized = (await new LanguageModel(await loadGgufDecoder(dequantizedPath)).forward(IDS)).data;
      const js = (await new LanguageModel(await loadGgufDecoder(path)).forward(IDS)).data;
      const onWasm = (await new LanguageModel(await loadGgufDecoder(path, { backend: wasm })).forward(IDS)).data;
      const f32 = (await (await loadModel(folder)).forward(IDS)).data;
      const scale = maxAbs(dequantized);
      const [jsError, wasmError] = [maxAbsDiff(js, dequantized) / scale, maxAbsDiff(onWasm, dequantized) / scale];
      process.stdout.write(
        `# ${mix}: max |Δ| / max |logit| vs its dequantized weights ${jsError.toExponential(2)} (js), ${wasmError.toExponential(2)} (wasm); ` +
          `${(maxAbsDiff(js, f32) / maxAbs(f32)).toExponential(2)} vs the f32 model\n`,
      );
      assert.ok(jsError < 0.05, `${mix} on js: ${jsError} against the dequantized weights`);
      assert.ok(wasmError < 0.05, `${mix} on wasm: ${wasmError} against the dequantized weights`);
    });
  }

  it("refuses an unknown --type, naming the mixes", async () => {
    const io = captureIo();
    assert.equal(await main(["quantize", "--type", "q4_k_s", folder, join(dir, "x.gguf")], io), 1);
    assert.match(io.stderr.text, /option "--type": expected one of q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k_m, q4_k_m, q5_k_m, q6_k, iq4_nl, iq4_xs, f16, f32, got "q4_k_s"/);
  });
});
