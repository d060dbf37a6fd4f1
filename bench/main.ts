// `npm run bench -- <name> [args…]`: runs bench/<name>.ts, which exports main(args).
// Benchmarks print their figures as a table; nothing here asserts a time.

const benches: Record<string, string> = {
  generate: "prefill and decode speed of a model, with peak RSS",
  kernels: "memory bandwidth; matvec/matmul GB/s and GFLOP/s per backend and thread count",
  serve: "lmscope serve under 64 streaming clients (5xx, well-formed streams, slots, RSS); continuous batching tokens/s at 1, 4, 16 streams",
  tokenize: "tokenizer throughput on tinyshakespeare against other JS tokenizers",
  train: "training steps of nanoGPT's CPU baseline (shakespeare-char): ms/iteration per backend and thread count, beside a PyTorch peer",
};

async function run(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || !(name in benches)) {
    process.stderr.write(`usage: npm run bench -- <name> [args]\n`);
    for (const [n, what] of Object.entries(benches)) process.stderr.write(`  ${n.padEnd(10)} ${what}\n`);
    process.exitCode = name === undefined ? 0 : 2;
    return;
  }
  const module = (await import(`./${name}.js`)) as { main(args: string[]): Promise<void> };
  try {
    await module.main(args);
  } catch (error) {
    // A wrong option or a missing file: say what, without a stack trace.
    process.stderr.write(`bench ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

await run();
