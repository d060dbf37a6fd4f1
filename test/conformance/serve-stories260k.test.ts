// `lmscope serve` on stories260K, a real pretrained TinyStories Llama (its HF folder and
// its f32 GGUF), through the official openai client: greedy completion from BOS for 200
// tokens is exactly reference/greedy.txt (llama2.c's run.c output), alone and as four
// concurrent streams decoded in batched steps.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import OpenAI from "openai";
import { SHARED } from "../helpers/paths.js";
import { slots, startServe } from "../helpers/serve-process.js";

const ROOT = join(SHARED, "models/stories260K");
const greedyText = readFileSync(join(ROOT, "reference/greedy.txt"), "utf8");

for (const [format, path, backend] of [["hf", join(ROOT, "hf"), "js"], ["gguf", join(ROOT, "gguf/stories260K-f32.gguf"), "wasm"]] as const) {
  test(`serve stories260K ${format} (${backend}): greedy from BOS is greedy.txt, alone and as 4 batched streams`, async () => {
    const server = await startServe(["--model", path, "--alias", "stories", "--parallel", "4", "--backend", backend]);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "none", maxRetries: 0 });
      const request = { model: "stories", prompt: "", max_tokens: 200, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming;
      const alone = await client.completions.create(request);
      assert.equal(alone.choices[0]!.text, greedyText);
      assert.equal(alone.usage?.completion_tokens, 200);
      const texts = await Promise.all(
        Array.from({ length: 4 }, async () => {
          let text = "";
          const stream = await client.completions.create({ ...request, stream: true });
          for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
          return text;
        }),
      );
      assert.deepEqual(texts, [greedyText, greedyText, greedyText, greedyText]);
      const state = await slots(server.url);
      assert.ok(state.decode.multi_sequence_steps > 0 && state.decode.largest_batch >= 2, JSON.stringify(state.decode));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
}
