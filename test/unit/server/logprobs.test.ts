// Token log-probabilities and spellings for the API's logprobs: log-softmax against a
// float64 computation on awkward sizes, the top list's order and ties, and how whole
// tokens, byte-level BPE bytes and "<0xNN>" byte-fallback pieces are spelled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenLogprob, tokenSpeller } from "../../../src/server/logprobs.js";
import { chatTokenizer } from "../../helpers/chat-model.js";
import { seededRandom } from "../../helpers/random.js";

test("tokenLogprob is log-softmax in float64, with the top entries most likely first", () => {
  const random = seededRandom(5);
  for (const size of [1, 2, 7, 33, 1001]) {
    const logits = Float32Array.from({ length: size }, () => (random() - 0.5) * 20);
    const max = Math.max(...logits);
    const logZ = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
    const id = size - 1;
    const top = Math.min(size, 5);
    const result = tokenLogprob(logits, id, top);
    assert.ok(Math.abs(result.logprob - (logits[id]! - logZ)) < 1e-12);
    const expected = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, top);
    assert.deepEqual(result.top.map((t) => t.id), expected, `size ${size}`);
    result.top.forEach((t) => assert.ok(Math.abs(t.logprob - (logits[t.id]! - logZ)) < 1e-12));
  }
  const ties = tokenLogprob(Float32Array.from([1, 3, 3, 0, 3]), 0, 2);
  assert.deepEqual(ties.top.map((t) => t.id), [1, 2], "the lower id first among equals");
  assert.deepEqual(tokenLogprob(Float32Array.from([1, 2]), 0, 0).top, []);
});

test("tokens are spelled as their text with UTF-8 bytes; a lone byte as bytes:\\xNN", () => {
  const tokenizer = chatTokenizer();
  const spell = tokenSpeller(tokenizer);
  const [hello] = tokenizer.encode(" there", { addSpecialTokens: false });
  assert.deepEqual(spell(hello!), { token: " there", bytes: [0x20, 0x74, 0x68, 0x65, 0x72, 0x65] });
  const eAcute = tokenizer.encode("é", { addSpecialTokens: false }); // two byte tokens in this small vocabulary
  assert.equal(eAcute.length, 2);
  assert.deepEqual(eAcute.map((id) => spell(id)), [
    { token: "bytes:\\xc3", bytes: [0xc3] },
    { token: "bytes:\\xa9", bytes: [0xa9] },
  ]);
  const imEnd = tokenizer.tokenToId("<|im_end|>")!;
  assert.deepEqual(spell(imEnd).token, "<|im_end|>");
});
