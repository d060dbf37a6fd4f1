// The benchmark prompt every engine receives: a fixed LCG over ids 3..vocab−1
// (past the usual <unk>/<s>/</s>), so lmscope and llama.cpp process the same tokens.

export function benchmarkPrompt(vocab: number, length: number): number[] {
  let state = 12345;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return 3 + (state % (vocab - 3));
  });
}
