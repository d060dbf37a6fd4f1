// The WASM memory's allocator (place/release: first fit, merged holes, a lowered
// top) against a plain model of which bytes are taken, and model.dispose(): a
// model's scope gives its weights and caches back, so loading models one after
// another does not grow the memory, and the models still loaded keep their values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ARENA_START, WasmMemory } from "../../../src/backend/wasm/memory.js";
import { createBackend, disposeBackend } from "../../../src/backend/select.js";
import { WasmBackend } from "../../../src/backend/wasm/index.js";
import { createModel, LanguageModel } from "../../../src/index.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { seededRandom } from "../../helpers/random.js";

const ALIGN = 64;

test("place/release: regions never overlap, holes are reused and merged, releasing all lowers the top to the start", () => {
  const mem = new WasmMemory(true);
  const random = seededRandom(11);
  const live = new Map<number, number>(); // ptr → bytes asked
  let highest = 0;
  for (let step = 0; step < 3000; step++) {
    if (live.size > 0 && random() < 0.45) {
      const entries = [...live];
      const [ptr, bytes] = entries[Math.floor(random() * entries.length)]!;
      mem.release(ptr, bytes);
      live.delete(ptr);
    } else {
      const bytes = 1 + Math.floor(random() * 5000);
      const ptr = mem.place(bytes);
      assert.equal(ptr % ALIGN, 0);
      for (const [other, length] of live) {
        const a = Math.ceil(bytes / ALIGN) * ALIGN, b = Math.ceil(length / ALIGN) * ALIGN;
        assert.ok(ptr + a <= other || other + b <= ptr, `step ${step}: [${ptr}, +${a}) overlaps [${other}, +${b})`);
      }
      live.set(ptr, bytes);
    }
    const taken = [...live.values()].reduce((sum, b) => sum + Math.ceil(b / ALIGN) * ALIGN, 0);
    assert.equal(mem.used - ARENA_START, taken, `step ${step}: used`);
    highest = Math.max(highest, taken);
  }
  assert.ok(mem.top - ARENA_START < 2 * highest, `top ${mem.top - ARENA_START} vs the most ever taken ${highest}`);
  for (const [ptr, bytes] of live) mem.release(ptr, bytes);
  assert.equal(mem.top, ARENA_START);
  assert.equal(mem.used, ARENA_START);
});

test("release refuses a region that is free already or was never placed", () => {
  const mem = new WasmMemory(false);
  const a = mem.place(100);
  const b = mem.place(100);
  mem.place(100);
  mem.release(b, 100);
  assert.throws(() => mem.release(b, 100), /already free/);
  assert.throws(() => mem.release(a + 8, 10), /not a placed region/);
  assert.throws(() => mem.release(mem.top, 64), /not a placed region/);
});

const SMALL: JsonObject = {
  model_type: "llama", vocab_size: 97, hidden_size: 48, intermediate_size: 96, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64,
};
const LARGE: JsonObject = { ...SMALL, hidden_size: 96, intermediate_size: 256, num_hidden_layers: 3 };

async function generated(model: LanguageModel, prompt: number[]): Promise<number[]> {
  const run = model.generate({ ids: prompt }, { maxTokens: 12, temperature: 0, stopOnEos: false });
  for (;;) {
    const next = await run.next();
    if (next.done === true) return [...next.value.ids];
  }
}

test("model.dispose() gives the model's memory back: models loaded one after another reuse it; models still loaded are untouched", async () => {
  const keeper = await createModel({ ...SMALL, vocab_size: 89 }, { backend: "wasm", seed: 3 });
  const backend = keeper.backend;
  assert.ok(backend instanceof WasmBackend);
  const prompt = [5, 17, 2, 40, 33];
  const kept = await generated(keeper, prompt);
  const afterKeeper = backend.memoryBudget().used;

  let peak = 0;
  let first: number[] | null = null;
  let afterFirstRound = 0;
  for (let round = 0; round < 4; round++) {
    for (const config of [LARGE, SMALL]) {
      const model = await createModel(config, { backend: "wasm", seed: 1 });
      const ids = await generated(model, prompt);
      if (config === LARGE) {
        first ??= ids;
        assert.deepEqual(ids, first, `round ${round}: the large model's greedy ids`);
      }
      peak = Math.max(peak, backend.memoryBudget().used);
      model.dispose();
      assert.equal(backend.memoryBudget().used, afterKeeper, `round ${round}: after dispose`);
      assert.deepEqual(await generated(keeper, prompt), kept, `round ${round}: the kept model`);
    }
    if (round === 0) afterFirstRound = backend.reservedBytes;
  }
  assert.ok(backend.reservedBytes <= afterFirstRound, "the top does not climb after the first round");
  assert.ok(peak > afterKeeper);
  keeper.dispose();
});

test("a disposed model says so when used; a backend the caller passed is the caller's", async () => {
  const model = await createModel(SMALL, { backend: "wasm", seed: 2 });
  model.dispose();
  model.dispose();
  await assert.rejects(generated(model, [1, 2, 3]), /the model was disposed.*load it again/);

  const own = await createBackend({ backend: "wasm", threads: 1 });
  const mine = await createModel(SMALL, { backend: own, seed: 2 });
  const before = await generated(mine, [1, 2, 3]);
  mine.dispose();
  assert.deepEqual(await generated(mine, [1, 2, 3]), before);
  disposeBackend(own);
});
