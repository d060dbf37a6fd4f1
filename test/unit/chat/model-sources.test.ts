// Where a loaded model's chat template comes from, end to end: a Hugging Face folder's
// tokenizer_config.json or chat_template.jinja, a GGUF file's tokenizer.chat_template
// metadata, and the --tokenizer folder given instead of the model's.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ChatSession } from "../../../src/chat/session.js";
import { modelToGguf } from "../../../src/io/gguf-convert.js";
import { writeGguf, type GgufValue } from "../../../src/io/gguf.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { loadModel } from "../../../src/language-model.js";
import { CHAT_TOKENIZER_CONFIG, CHATML, chatTokenizer, chatTokenizerJson } from "../../helpers/chat-model.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

let dir: string;
let weights: string;
const config = { ...LLAMA_CONFIG, vocab_size: chatTokenizer().vocabSize, max_position_embeddings: 64, bos_token_id: 0, eos_token_id: 2 };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "chat-sources-"));
  weights = join(dir, "weights");
  await mkdir(weights);
  await writeFile(join(weights, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(weights, "model.safetensors"), [...randomLlama(config)].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
});
after(async () => rm(dir, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const path = join(dir, name);
  await cp(weights, path, { recursive: true });
  await writeFile(join(path, "tokenizer.json"), JSON.stringify(chatTokenizerJson()));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(path, file, ".."), { recursive: true });
    await writeFile(join(path, file), text);
  }
  return path;
}

async function replies(session: ChatSession): Promise<string> {
  const run = session.send("hi", { maxTokens: 3, temperature: 0 });
  let next = await run.next();
  while (next.done !== true) next = await run.next();
  return session.format.prompt(session.history.slice(0, -1)).text;
}

test("a Hugging Face folder's tokenizer_config.json chat_template is the model's template", async () => {
  const path = await folder("hf-config", { "tokenizer_config.json": JSON.stringify({ ...CHAT_TOKENIZER_CONFIG, chat_template: CHATML }) });
  const model = await loadModel(path, { backend: "js" });
  assert.equal(model.tokenizerConfig?.["chat_template"], CHATML);
  const session = model.chat({ system: "S" });
  assert.equal(await replies(session), "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  assert.ok(session.format.endOfTurnIds.includes(chatTokenizer().tokenToId("<|im_end|>")!));
});

test("chat_template.jinja replaces the config's template; additional_chat_templates/ are named ones", async () => {
  const path = await folder("hf-jinja", {
    "tokenizer_config.json": JSON.stringify({ ...CHAT_TOKENIZER_CONFIG, chat_template: "old" }),
    "chat_template.jinja": "{% for m in messages %}[{{ m.content }}]{% endfor %}",
    "additional_chat_templates/short.jinja": "{% for m in messages %}{{ m.content }}{% endfor %}",
  });
  const model = await loadModel(path, { backend: "js" });
  assert.equal(await replies(model.chat()), "[hi]");
  assert.equal(await replies(model.chat({ templateName: "short" })), "hi");
  assert.throws(() => model.chat({ templateName: "long" }), /has no chat template "long" \(it has: default, short\)/);
});

test("a tokenizer folder given with { tokenizer } brings its own template", async () => {
  const path = await folder("hf-bare", {});
  const tokenizerDir = join(dir, "tokenizer-only");
  await mkdir(tokenizerDir);
  await writeFile(join(tokenizerDir, "tokenizer.json"), JSON.stringify(chatTokenizerJson()));
  await writeFile(join(tokenizerDir, "chat_template.jinja"), CHATML);
  const bare = await loadModel(path, { backend: "js" });
  assert.throws(() => bare.chat(), /has no chat template/);
  const model = await loadModel(path, { backend: "js", tokenizer: tokenizerDir });
  assert.equal(model.tokenizerConfig?.["chat_template"], CHATML);
});

test("a GGUF file's tokenizer.chat_template and its control tokens make a working chat", async () => {
  const json = chatTokenizerJson() as { model: { vocab: Record<string, number>; merges: [string, string][] } };
  const tokens = Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
  const content = await modelToGguf(weights, "f32");
  const strings = (value: string[]): GgufValue => ({ type: "array", elementType: "string", value });
  const metadata: [string, GgufValue][] = [
    ...content.metadata,
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "gpt-2" }],
    ["tokenizer.ggml.tokens", strings(tokens)],
    ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: tokens.map((_, id) => (id < 3 ? 3 : 1)) }],
    ["tokenizer.ggml.merges", strings(json.model.merges.map((pair) => pair.join(" ")))],
    ["tokenizer.ggml.eos_token_id", { type: "uint32", value: 2 }],
    ["tokenizer.chat_template", { type: "string", value: CHATML }],
  ];
  const path = join(dir, "chat.gguf");
  await writeGguf(path, { metadata, tensors: content.tensors });
  const model = await loadModel(path, { backend: "js" });
  assert.deepEqual(model.tokenizerConfig, { eos_token: "<|im_end|>", chat_template: CHATML });
  const session = model.chat();
  assert.equal(await replies(session), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  assert.deepEqual(session.format.endOfTurnIds, [0, 2]); // <|endoftext|> and <|im_end|>, both control tokens
  assert.equal(session.format.prompt([{ role: "user", content: "hi" }]).ids[0], 1);
});
