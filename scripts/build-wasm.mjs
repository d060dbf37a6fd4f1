// Builds the WASM kernels from their AssemblyScript sources
// (src/backend/wasm/kernels/*.ts) into dist/src/backend/wasm/kernels.wasm (and kernels-unshared.wasm), next to
// the compiled loader (src/backend/wasm/module.ts) that reads it. Runs from the
// npm `build`, `prepare` (so `npm ci` produces it) and `test` scripts, with only
// the `assemblyscript` devDependency. Skips the compile when the output is newer
// than every source; `--force` rebuilds anyway.
// Features: SIMD (128-bit), threads (shared imported memory, atomics). The module
// uses no allocator; its only data are the constant tables of the math library
// (exp), placed from address 1024 and rewritten with the same bytes by every
// worker's instantiation. The TypeScript side places buffers from 64 KiB up
// (ARENA_START in src/backend/wasm/memory.ts); the check below keeps data under it.
import { mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = join(root, "src/backend/wasm/kernels");
const output = join(root, "dist/src/backend/wasm/kernels.wasm");
const force = process.argv.includes("--force");

const sources = readdirSync(sourceDir).filter((f) => f.endsWith(".ts")).map((f) => join(sourceDir, f));
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
let upToDate = false;
try {
  upToDate = statSync(output).mtimeMs > newestSource;
} catch {
  upToDate = false;
}
if (upToDate && !force) process.exit(0);

mkdirSync(dirname(output), { recursive: true });
const common = [
  join(sourceDir, "index.ts"),
  "--optimizeLevel", "3",
  "--shrinkLevel", "0",
  "--noAssert",
  "--runtime", "stub",
  "--use", "abort=",
  "--enable", "simd",
  "--importMemory",
  "--initialMemory", "1",
  "--maximumMemory", "65536",
  "--noExportMemory",
  "--debug",
];
// kernels.wasm: shared memory, for worker threads. kernels-unshared.wasm: the same
// code on an ordinary memory, for pages without SharedArrayBuffer. The -relaxed
// builds enable relaxed SIMD (kernels/fma.ts: fused multiply–adds), for engines
// that validate it (src/backend/select.ts relaxedSimdSupported).
for (const relaxed of [false, true]) {
  const features = relaxed ? [...common, "--enable", "relaxed-simd"] : common;
  const name = relaxed ? output.replace(/\.wasm$/, "-relaxed.wasm") : output;
  await compile([...features, "--enable", "threads", "--sharedMemory", "--outFile", name]);
  await compile([...features, "--outFile", name.replace(/\.wasm$/, "-unshared.wasm")]);
}

async function compile(args) {
  const { error, stderr } = await asc.main(args);
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`build-wasm: ${error.message}\n`);
    process.exit(1);
  }
  const file = args[args.indexOf("--outFile") + 1];
  const bytes = readFileSync(file);
  // An engine without relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd)
  // cannot compile the relaxed builds; they are then only written.
  const compiles = WebAssembly.validate(bytes);
  if (!compiles && !args.includes("relaxed-simd")) {
    process.stderr.write(`build-wasm: ${file} does not validate\n`);
    process.exit(1);
  }
  const exports = compiles ? `${WebAssembly.Module.exports(new WebAssembly.Module(bytes)).length} exports` : "relaxed SIMD: not loadable by this engine";
  if (sectionSize(bytes, 11) > 60 * 1024) {
    process.stderr.write("build-wasm: the kernels' data would reach the buffers placed from 64 KiB\n");
    process.exit(1);
  }
  process.stdout.write(`build-wasm: ${file} (${bytes.length} bytes, ${exports})\n`);
}

/** Size in bytes of the module's section of the given id (11 = data), 0 if absent. */
function sectionSize(buf, id) {
  let p = 8;
  while (p < buf.length) {
    const sectionId = buf[p++];
    let size = 0;
    let shift = 0;
    let byte;
    do {
      byte = buf[p++];
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    if (sectionId === id) return size;
    p += size;
  }
  return 0;
}
