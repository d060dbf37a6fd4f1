// The repos the fake hub serves in tests, built from tiny random models
// (random-models.ts) so that every byte is deterministic:
//   lmscope-test/tiny-llama        config, generation config, tokenizer, a safetensors
//                                  model in two shards + index, and files a load must not
//                                  fetch (pytorch_model.bin, README.md, onnx/model.onnx)
//   lmscope-test/tiny-llama-GGUF   the same model as F32, F16, Q8_0 and Q4_0 GGUF files
//   lmscope-test/gated-llama       single-file safetensors, needs a token
//   lmscope-test/pickles-only      config.json + pytorch_model.bin
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeGguf } from "../../src/io/gguf.js";
import { modelToGguf } from "../../src/io/gguf-convert.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { sentencePieceJson } from "../unit/tokenizers/fixtures.js";
import type { FakeHub, FakeRepo } from "./fake-hub.js";
import { LLAMA_CONFIG, randomLlama } from "./random-models.js";

export const SHARDED = "lmscope-test/tiny-llama";
export const GGUF_REPO = "lmscope-test/tiny-llama-GGUF";
export const GATED = "lmscope-test/gated-llama";
export const PICKLES_ONLY = "lmscope-test/pickles-only";
export const GATED_TOKEN = "hf_lmscope_test_token";
export const GGUF_QUANTS = ["F32", "F16", "Q8_0", "Q4_0"] as const;

/** The files a load of SHARDED fetches, and the ones it must leave alone. */
export const SHARDED_NEEDED = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "model.safetensors.index.json",
  "model-00001-of-00002.safetensors",
  "model-00002-of-00002.safetensors",
];
export const SHARDED_UNNEEDED = ["pytorch_model.bin", "README.md", "onnx/model.onnx", ".gitattributes"];

const text = (value: string) => new TextEncoder().encode(value);
const json = (value: unknown) => text(`${JSON.stringify(value, null, 2)}\n`);
const commitOf = (name: string) => createHash("sha1").update(`commit of ${name}`).digest("hex");

export interface HubRepos {
  readonly repos: ReadonlyMap<string, FakeRepo>;
  /** A local HF folder with the same model (for comparing logits). */
  readonly localFolder: string;
  /** Local GGUF files by quant label. */
  readonly localGguf: ReadonlyMap<string, string>;
  readonly dispose: () => Promise<void>;
}

export async function buildHubRepos(): Promise<HubRepos> {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-hub-repos-"));
  const tokenizer = sentencePieceJson();
  const vocabSize = Object.keys((tokenizer.model as { vocab: object }).vocab).length;
  const config = { ...LLAMA_CONFIG, vocab_size: vocabSize, architectures: ["LlamaForCausalLM"] };
  const tensors = [...randomLlama(config, 7)].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  const tokenizerConfig = { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", add_bos_token: true, tokenizer_class: "LlamaTokenizerFast" };

  // The local folder: single-file safetensors (the reference for logits, and the GGUF source).
  const folder = join(dir, "tiny-llama");
  await mkdir(folder);
  await writeFile(join(folder, "config.json"), json(config));
  await writeFile(join(folder, "tokenizer.json"), json(tokenizer));
  await writeFile(join(folder, "tokenizer_config.json"), json(tokenizerConfig));
  await writeSafetensors(join(folder, "model.safetensors"), tensors);

  // Two shards and their index.
  const shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const half = Math.ceil(tensors.length / 2);
  const weightMap: Record<string, string> = {};
  const shardBytes: Uint8Array[] = [];
  for (const [i, part] of [tensors.slice(0, half), tensors.slice(half)].entries()) {
    const path = join(dir, shardNames[i]!);
    await writeSafetensors(path, part, { format: "pt" });
    shardBytes.push(new Uint8Array(await readFile(path)));
    for (const t of part) weightMap[t.name] = shardNames[i]!;
  }
  const totalSize = tensors.reduce((n, t) => n + t.data.byteLength, 0);
  const sharded = new Map<string, Uint8Array>([
    [".gitattributes", text("*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n")],
    ["README.md", text("# tiny-llama\nA random test model.\n")],
    ["config.json", json(config)],
    ["generation_config.json", json({ bos_token_id: 1, eos_token_id: 2 })],
    ["tokenizer.json", json(tokenizer)],
    ["tokenizer_config.json", json(tokenizerConfig)],
    ["model.safetensors.index.json", json({ metadata: { total_size: totalSize }, weight_map: weightMap })],
    [shardNames[0]!, shardBytes[0]!],
    [shardNames[1]!, shardBytes[1]!],
    ["pytorch_model.bin", text("not a pickle: a load must never fetch this file")],
    ["onnx/model.onnx", text("not an onnx model either")],
  ]);

  const localGguf = new Map<string, string>();
  const ggufFiles = new Map<string, Uint8Array>([["README.md", text("# tiny-llama-GGUF\n")]]);
  for (const quant of GGUF_QUANTS) {
    const path = join(dir, `tiny-llama-${quant}.gguf`);
    await writeGguf(path, await modelToGguf(folder, quant.toLowerCase() as "f32" | "f16" | "q8_0" | "q4_0"));
    localGguf.set(quant, path);
    ggufFiles.set(`tiny-llama-${quant}.gguf`, new Uint8Array(await readFile(path)));
  }

  const gated = new Map<string, Uint8Array>([
    ["config.json", json(config)],
    ["model.safetensors", new Uint8Array(await readFile(join(folder, "model.safetensors")))],
  ]);
  const pickles = new Map<string, Uint8Array>([
    ["config.json", json(config)],
    ["pytorch_model.bin", text("pickled weights would be here")],
  ]);

  const repos = new Map<string, FakeRepo>([
    [SHARDED, { commit: commitOf(SHARDED), files: sharded }],
    [GGUF_REPO, { commit: commitOf(GGUF_REPO), files: ggufFiles }],
    [GATED, { commit: commitOf(GATED), files: gated, gatedToken: GATED_TOKEN }],
    [PICKLES_ONLY, { commit: commitOf(PICKLES_ONLY), files: pickles }],
  ]);
  return { repos, localFolder: folder, localGguf, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export function serveRepos(hub: FakeHub, repos: HubRepos): void {
  for (const [name, repo] of repos.repos) hub.addRepo(name, repo);
}
