// `lmscope inspect` on a tiny model folder: the four pictures and the summary,
// --json with every number, --layers / --layer / --head / --positions, and the
// errors (no prompt, an empty or too long prompt, an unknown model, an encoder,
// bad options) as one-line messages with exit code 1; --static-page writes the
// page, its modules and dependencies, and refuses a model that is not GGUF.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main.js";
import { createModel, type EncoderModel } from "../../../src/index.js";
import { captureIo } from "../../helpers/capture.js";
import { writeInspectModel } from "../../helpers/inspect-model.js";
import { checkWellFormedXml } from "../../helpers/xml.js";

let dir: string;
let modelDir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmscope-inspect-cli-"));
  modelDir = join(dir, "model");
  await writeInspectModel(modelDir);
});
after(async () => rm(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const io = captureIo();
  const code = await main(["inspect", ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

test("inspect writes the four pictures and prints the next tokens, the last layer's heads and the lens", async () => {
  const out = join(dir, "pictures");
  const { code, stdout, stderr } = await run("--model", modelDir, "--prompt", "the cab on the ab", "--out", out, "--backend", "js");
  assert.equal(code, 0, stderr);
  assert.deepEqual((await readdir(out)).sort(), ["attention-grid.svg", "head-view-L2-H0.svg", "logit-lens.svg", "surprisal.svg"]);
  for (const name of await readdir(out)) assert.equal(checkWellFormedXml(await readFile(join(out, name), "utf8"))[0], "svg");
  assert.match(stdout, /^llama: 3 layers × 4 heads, context 40, vocabulary 279\nprompt: \d+ tokens, mean surprisal [\d.]+ bits\n/);
  assert.match(stdout, /next token after " ab" \(entropy [\d.]+ nats\):\n(  0\.\d{3}  ".*"\n){5}/);
  assert.match(stdout, /most attended earlier token from the last position, layer 2:\n(  head \d {3}0\.\d{3}  ".*" \(position \d+\)\n){4}/);
  assert.match(stdout, /logit lens at the last position \(most likely next token per layer\):\n  out \(3\)/);
  assert.match(stdout, /wrote .*attention-grid\.svg, .*head-view-L2-H0\.svg, .*logit-lens\.svg, .*surprisal\.svg\n$/);
});

test("--json writes every number; --layers, --layer, --head and --positions choose what is drawn", async () => {
  const out = join(dir, "json");
  const { code, stderr } = await run("--model", modelDir, "--prompt", "the cab on the ab", "--out", out, "--json", "--layers", "0-1", "--layer", "0", "--head", "3", "--positions", "1-4", "--top-k", "3", "--capture", "blocks.*.mlp.post", "--capture", "final_norm", "--backend", "js");
  assert.equal(code, 0, stderr);
  const data = JSON.parse(await readFile(join(out, "inspection.json"), "utf8"));
  assert.deepEqual(Object.keys(data), ["model", "ids", "tokens", "positions", "lens", "attentions", "texts", "captures"]);
  assert.deepEqual(data.model, { architecture: "llama", layers: 3, heads: 4, contextLength: 40, vocabSize: 279, source: modelDir });
  const seq = data.ids.length;
  assert.equal(data.tokens.length, seq);
  assert.equal(data.positions.length, seq);
  assert.equal(data.positions[0].top.length, 3);
  assert.equal(data.lens.length, 4);
  assert.deepEqual(data.attentions.map((a: { layer: number }) => a.layer), [0, 1]);
  for (const a of data.attentions) {
    assert.deepEqual(a.shape, [1, 4, seq, seq]);
    assert.equal(a.data.length, 4 * seq * seq);
  }
  assert.deepEqual(Object.keys(data.captures), ["blocks.0.mlp.post", "blocks.1.mlp.post", "blocks.2.mlp.post", "final_norm"]);
  assert.deepEqual(data.captures["blocks.1.mlp.post"].shape, [1, seq, 48]);
  assert.equal(data.captures["final_norm"].data.length, seq * 32);
  const grid = await readFile(join(out, "attention-grid.svg"), "utf8");
  assert.equal(grid.match(/<g class="map"/g)!.length, 8);
  const head = await readFile(join(out, "head-view-L0-H3.svg"), "utf8");
  assert.match(head, /layer 0, head 3, positions 1–4 of \d+/);
  const lens = await readFile(join(out, "logit-lens.svg"), "utf8");
  assert.equal(lens.match(/<g class="cell"/g)!.length, 4 * 4);
});

test("errors are one line naming what was wrong, exit code 1", async () => {
  const cases: [string[], RegExp][] = [
    [["--model", modelDir], /option "--prompt": is required/],
    [["--model", modelDir, "--prompt", ""], /the prompt is empty/],
    [["--model", modelDir, "--prompt", "the cab ".repeat(40)], /the prompt has \d+ tokens, more than the model's context window of 40/],
    [["--model", join(dir, "missing"), "--prompt", "a"], /missing: no such file or folder/],
    [["--prompt", "a"], /option "--model": is required/],
    [["--model", modelDir, "--prompt", "a", "--layers", "0,7"], /option "--layers": 7 is outside 0…2/],
    [["--model", modelDir, "--prompt", "a", "--layers", "x"], /option "--layers": expected numbers and ranges/],
    [["--model", modelDir, "--prompt", "a", "--layers", "1", "--layer", "0"], /option "--layer": layer 0 is not among the layers drawn \(1\)/],
    [["--model", modelDir, "--prompt", "a", "--head", "4"], /option "--head": head 4 does not exist/],
    [["--model", modelDir, "--prompt", "a", "--top-k", "0"], /option "--top-k": expected a positive integer/],
    [["--model", modelDir, "--prompt", "a", "--web", "--port", "70000"], /option "--port": expected a port number/],
    [["--model", modelDir, "--prompt", "a", "--colour"], /option "--colour": Unknown option/],
    [["--model", modelDir, "--prompt", "a", "--json", "--capture", "blocks.0.attention"], /unknown capture name "blocks.0.attention": names are blocks.<0…2>.<resid_pre\|attn.pattern/],
    [["--model", modelDir, "--prompt", "a", "--capture", "final_norm"], /option "--capture": the captures are written to inspection.json: add --json/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await run(...args, "--backend", "js");
    assert.equal(code, 1, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, "one line, no stack trace");
  }
});

test("an encoder is refused with the reason (the logit lens needs a causal LM head)", async () => {
  const bertDir = join(dir, "bert");
  const bert = await createModel<EncoderModel>(
    { model_type: "bert", vocab_size: 50, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 20, architectures: ["BertForMaskedLM"] },
    { seed: 1, backend: "js" },
  );
  await bert.save(bertDir);
  const { code, stderr } = await run("--model", bertDir, "--prompt", "a");
  assert.equal(code, 1);
  assert.match(stderr, /is an encoder \(.*\): inspect draws decoders — the logit lens and next-token probabilities need a causal LM head/);
});

test("--static-page writes the page, lmscope's modules and the page's dependencies; with a GGUF model, a copy the page opens", async () => {
  const page = join(dir, "page");
  const gguf = join(dir, "model.gguf");
  assert.equal((await main(["quantize", "--type", "f32", modelDir, gguf], captureIo())), 0);
  const { code, stdout, stderr } = await run("--static-page", page, "--model", gguf);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /wrote the inspector page to .* \(\d+ files\); serve the folder over HTTP and open index\.html/);
  const html = await readFile(join(page, "index.html"), "utf8");
  assert.match(html, /<body data-model="model\.gguf">/);
  const imports = JSON.parse(/<script type="importmap">(.*?)<\/script>/.exec(html)![1]!).imports as Record<string, string>;
  assert.deepEqual(Object.keys(imports).sort(), ["@huggingface/jinja", "d3-color", "d3-interpolate", "d3-scale-chromatic"]);
  for (const url of Object.values(imports)) assert.ok(existsSync(join(page, url)), `${url} is copied`);
  for (const file of ["app/web/page/main.js", "app/browser.js", "app/backend/wasm/kernels.wasm", "model.gguf"]) assert.ok(existsSync(join(page, file)), file);
  assert.ok(!existsSync(join(page, "app/web/page/main.d.ts")), "only modules are copied");
  await writeFile(join(dir, "not.gguf"), "{}");
  const refused = await run("--static-page", join(dir, "page2"), "--model", join(dir, "not.gguf"));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /not\.gguf is not a GGUF file: the static page runs GGUF files in the browser/);
  const missing = await run("--static-page", join(dir, "page3"), "--model", join(dir, "nothing.gguf"));
  assert.match(missing.stderr, /nothing\.gguf: no such file/);
});
