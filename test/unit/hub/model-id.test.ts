// Hub model ids, GGUF quant labels and choice, --include globs, the files a load
// needs, and the HF_* environment variables.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HubError, OptionError } from "../../../src/errors.js";
import { repoFolderName } from "../../../src/io/hub/cache-layout.js";
import { chooseGgufFile, ggufQuantLabel } from "../../../src/io/hub/gguf-choice.js";
import { filterByGlobs } from "../../../src/io/hub/glob.js";
import { hubSettings } from "../../../src/io/hub/hub-settings.js";
import { formatHubModelId, parseHubModelId } from "../../../src/io/hub/model-id.js";
import { planLoad, shardsOfIndex } from "../../../src/io/hub/needed-files.js";

describe("hub model ids", () => {
  it("parses every form", () => {
    assert.deepEqual(parseHubModelId("Qwen/Qwen2.5-0.5B"), { repo: "Qwen/Qwen2.5-0.5B", revision: "main" });
    assert.deepEqual(parseHubModelId("hf:Qwen/Qwen2.5-0.5B@v1.0"), { repo: "Qwen/Qwen2.5-0.5B", revision: "v1.0" });
    assert.deepEqual(parseHubModelId("hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"), { repo: "bartowski/Llama-3.2-1B-Instruct-GGUF", revision: "main", quant: "Q4_K_M" });
    assert.deepEqual(parseHubModelId("org/name:Q8_0"), { repo: "org/name", revision: "main", quant: "Q8_0" });
    assert.deepEqual(parseHubModelId("hf:org/name@refs/pr/3/sub/model-Q8_0.gguf"), { repo: "org/name", revision: "refs/pr/3", file: "sub/model-Q8_0.gguf" });
    assert.deepEqual(parseHubModelId("hf:org/name@0123456789abcdef0123456789abcdef01234567:F16"), { repo: "org/name", revision: "0123456789abcdef0123456789abcdef01234567", quant: "F16" });
    assert.deepEqual(parseHubModelId("hf:gpt2"), { repo: "gpt2", revision: "main" });
    assert.equal(formatHubModelId(parseHubModelId("hf:org/name@v2:Q4_0")!), "hf:org/name@v2:Q4_0");
  });

  it("leaves paths alone and rejects malformed explicit ids", () => {
    for (const path of ["./org/name", "/abs/path", "models/model.gguf", "a/b/c", "gpt2", "dir/config.json", "org/na me", "../x/y", "out/model.safetensors"]) {
      assert.equal(parseHubModelId(path), undefined, path);
    }
    for (const bad of ["hf:", "hf:org//name", "hf:org/na--me", "hf:org/name/../x.gguf", "hf:-org/name", "hf:org/name:Q4 K", "hf:org/name@"]) {
      assert.throws(() => parseHubModelId(bad), (e: unknown) => e instanceof OptionError && e.message.includes("is not a hub model id"), bad);
    }
  });

  it("names cache folders as huggingface_hub does", () => {
    assert.equal(repoFolderName("Qwen/Qwen2.5-0.5B"), "models--Qwen--Qwen2.5-0.5B");
    assert.equal(repoFolderName("gpt2"), "models--gpt2");
  });
});

describe("GGUF quant labels", () => {
  it("reads the label from the names quantizers give files", () => {
    const cases: [string, string | undefined][] = [
      ["Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M"],
      ["tinyllama-1.1b-chat-v1.0.Q8_0.gguf", "Q8_0"],
      ["qwen2.5-0.5b-instruct-fp16.gguf", "FP16"],
      ["gemma-3-1b-it-IQ4_XS.gguf", "IQ4_XS"],
      ["Qwen3-0.6B-UD-Q4_K_XL.gguf", "Q4_K_XL"],
      ["model_q5_k_m.gguf", "Q5_K_M"],
      ["sub/dir/model-bf16-00001-of-00002.gguf", "BF16"],
      ["model.gguf", undefined],
      ["Qwen2-0.5B.gguf", undefined],
    ];
    for (const [name, label] of cases) assert.equal(ggufQuantLabel(name), label, name);
  });

  it("chooses the labelled file, the only one, or Q4_K_M; explains otherwise", () => {
    const files = ["README.md", "m-Q4_K_M.gguf", "m-Q8_0.gguf", "m-F16.gguf", "mmproj-m-F16.gguf", "big/m-Q2_K-00001-of-00002.gguf", "big/m-Q2_K-00002-of-00002.gguf"];
    assert.equal(chooseGgufFile("o/r", files, "q8_0"), "m-Q8_0.gguf");
    assert.equal(chooseGgufFile("o/r", files, undefined), "m-Q4_K_M.gguf");
    assert.equal(chooseGgufFile("o/r", files, "F16"), "m-F16.gguf", "never the vision projector");
    assert.equal(chooseGgufFile("o/r", ["only.gguf"], undefined), "only.gguf");
    assert.throws(() => chooseGgufFile("o/r", files, "Q2_K"), (e: unknown) => e instanceof HubError && e.reason === "unsupported" && /split into several files/.test(e.message));
    assert.throws(() => chooseGgufFile("o/r", files, "Q6_K"), (e: unknown) => e instanceof HubError && /no GGUF file with quant Q6_K: it offers Q4_K_M, Q8_0, F16, Q2_K/.test(e.message));
    assert.throws(() => chooseGgufFile("o/r", ["a-Q8_0.gguf", "b-Q8_0.gguf"], "Q8_0"), /several GGUF files with quant Q8_0/);
  });
});

describe("include globs", () => {
  it("match as Python fnmatch does (* crosses folders)", () => {
    const files = ["config.json", "onnx/model.onnx", "onnx/config.json", "m-Q8_0.gguf", "m-q4_0.gguf", "a.txt", "b.txt"];
    assert.deepEqual(filterByGlobs(files, ["*.json"]), ["config.json", "onnx/config.json"]);
    assert.deepEqual(filterByGlobs(files, ["onnx/"]), ["onnx/model.onnx", "onnx/config.json"]);
    assert.deepEqual(filterByGlobs(files, ["*Q8_0*"]), ["m-Q8_0.gguf"]);
    assert.deepEqual(filterByGlobs(files, ["[ab].txt"]), ["a.txt", "b.txt"]);
    assert.deepEqual(filterByGlobs(files, ["[!a].txt", "?-q4_0.gguf"]), ["m-q4_0.gguf", "b.txt"]);
  });
});

describe("what a load fetches", () => {
  const id = parseHubModelId("org/name")!;
  it("config, tokenizer and safetensors files; never pickles", () => {
    const files = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "model.safetensors", "pytorch_model.bin", "README.md", "onnx/model.onnx", "chat_template.jinja"];
    const plan = planLoad(id, files);
    assert.deepEqual(plan, {
      kind: "folder",
      files: ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "chat_template.jinja", "model.safetensors"],
      index: undefined,
    });
    assert.deepEqual(planLoad(id, ["config.json", "model.safetensors.index.json", "a.safetensors"]), { kind: "folder", files: ["config.json", "model.safetensors.index.json"], index: "model.safetensors.index.json" });
    assert.throws(() => planLoad(id, ["config.json", "pytorch_model.bin"]), /only pickled PyTorch weights \(pytorch_model\.bin\)/);
    assert.throws(() => planLoad(id, ["README.md"]), /neither config\.json .* nor a \.gguf file/);
    assert.deepEqual(planLoad(id, ["model-Q8_0.gguf", "README.md"]), { kind: "gguf", file: "model-Q8_0.gguf" });
  });

  it("takes shards from the index, refusing names outside the repo", () => {
    const index = (map: Record<string, string>) => JSON.stringify({ weight_map: map });
    assert.deepEqual(shardsOfIndex("o/r", index({ a: "s1.safetensors", b: "s2.safetensors", c: "s1.safetensors" }), ["s1.safetensors", "s2.safetensors"]), ["s1.safetensors", "s2.safetensors"]);
    assert.throws(() => shardsOfIndex("o/r", index({ a: "../x.safetensors" }), undefined), /weight_map names "\.\.\/x\.safetensors"/);
    assert.throws(() => shardsOfIndex("o/r", index({ a: "s3.safetensors" }), ["s1.safetensors"]), /not a \.safetensors file of the repo/);
    assert.throws(() => shardsOfIndex("o/r", "{", undefined), /is not valid JSON/);
  });
});

describe("HF_* environment", () => {
  it("finds the cache, endpoint, token and offline flag as huggingface_hub does", async () => {
    const home = await mkdtemp(join(tmpdir(), "lmscope-hf-home-"));
    await writeFile(join(home, "token"), "hf_from_file\n");
    const base = { HOME: homedir() };
    assert.equal((await hubSettings({}, { ...base, HF_HOME: home })).cacheDir, join(home, "hub"));
    assert.equal((await hubSettings({}, { ...base, XDG_CACHE_HOME: "/x" })).cacheDir, "/x/huggingface/hub");
    assert.equal((await hubSettings({}, base)).cacheDir, join(homedir(), ".cache/huggingface/hub"));
    assert.equal((await hubSettings({}, { ...base, HF_HOME: home, HF_HUB_CACHE: "~/hubcache" })).cacheDir, join(homedir(), "hubcache"));
    assert.equal((await hubSettings({}, { ...base, HF_HOME: "$ROOT/hf", ROOT: "/r" })).cacheDir, "/r/hf/hub");
    assert.equal((await hubSettings({}, { ...base, HF_HOME: home })).token, "hf_from_file");
    assert.equal((await hubSettings({}, { ...base, HF_HOME: home, HF_TOKEN: "hf_env" })).token, "hf_env");
    assert.equal((await hubSettings({ token: false }, { ...base, HF_TOKEN: "hf_env" })).token, undefined);
    assert.equal((await hubSettings({}, { ...base, HF_ENDPOINT: "http://mirror.local/" })).endpoint, "http://mirror.local");
    assert.equal((await hubSettings({}, base)).endpoint, "https://huggingface.co");
    assert.equal((await hubSettings({}, { ...base, HF_HUB_OFFLINE: "1" })).offline, true);
    assert.equal((await hubSettings({}, { ...base, TRANSFORMERS_OFFLINE: "yes" })).offline, true);
    assert.equal((await hubSettings({}, { ...base, HF_HUB_OFFLINE: "0", TRANSFORMERS_OFFLINE: "1" })).offline, false);
  });
});
