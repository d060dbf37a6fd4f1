// The tape's arena: zeroed buffers and unzeroed outputs cut from blocks taken once,
// released gradients handed out again (zeroed), and after reset() the same
// requests served from the same blocks without taking any more.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TapeArena } from "../../../src/autograd/arena.js";

function counting(): { arena: TapeArena; taken: number[] } {
  const taken: number[] = [];
  const arena = new TapeArena((length): Float32Array => {
    taken.push(length);
    return new Float32Array(length);
  });
  return { arena, taken };
}

test("allocate is zeroed, allocateOutput keeps old bytes, release hands a buffer back zeroed", () => {
  const { arena } = counting();
  const a = arena.allocate(5);
  a.fill(3);
  const out = arena.allocateOutput(7);
  out.fill(4);
  assert.ok(a.buffer !== out.buffer || a.byteOffset + a.byteLength <= out.byteOffset, "distinct buffers");
  arena.release(a);
  const again = arena.allocate(5);
  assert.equal(again, a, "the released buffer of the same length comes back");
  assert.deepEqual([...again], [0, 0, 0, 0, 0]);
  arena.reset();
  const reused = arena.allocateOutput(5);
  assert.deepEqual([...reused], [0, 0, 0, 0, 0], "the first bytes of the first block: the zeroed gradient's");
  const next = arena.allocateOutput(7);
  assert.deepEqual([...next], [4, 4, 4, 4, 4, 4, 4], "an output buffer is not cleared");
});

test("after reset the same sequence of requests takes no new blocks; a larger request gets its own", () => {
  const { arena, taken } = counting();
  const sequence = [100, 1 << 19, 700_000, 3, 1 << 20, 17];
  for (const n of sequence) arena.allocate(n);
  const blocks = taken.length;
  for (let step = 0; step < 3; step++) {
    arena.reset();
    for (const n of sequence) assert.equal(arena.allocate(n).length, n);
  }
  assert.equal(taken.length, blocks, "no block taken after the first pass");
  arena.reset();
  assert.equal(arena.allocate(3 << 20).length, 3 << 20);
  assert.equal(taken[taken.length - 1], 3 << 20, "a request larger than a block gets a block of its size");
  // buffers of one pass never overlap
  arena.reset();
  const views = sequence.map((n) => arena.allocate(n));
  views.forEach((v, i) => v.fill(i + 1));
  views.forEach((v, i) => assert.ok(v.every((x) => x === i + 1), `buffer ${i} intact`));
});
