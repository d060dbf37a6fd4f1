// `npm run bench -- tokenize [--runs N] [--text path]`: GPT-2 encoding
// throughput on tinyshakespeare for lmscope and, in the same process, for the
// JavaScript tokenizers users would pick instead (js-tiktoken, gpt-tokenizer,
// @huggingface/tokenizers). One warm-up, then the median of N timed runs taken
// round-robin; ids are compared with lmscope's. Last, the time to encode one 1 MB "word".
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Tokenizer as HfJsTokenizer } from "@huggingface/tokenizers";
import { encode as gptTokenizerEncode } from "gpt-tokenizer/encoding/r50k_base";
import { getEncoding } from "js-tiktoken";
import { loadTokenizer } from "../src/tokenizers/index.js";
import { REPO_ROOT, SHARED } from "../test/helpers/paths.js";

interface Row {
  name: string;
  encode: (text: string) => number[];
}

/** The installed version of a dependency, read from its package.json. */
async function versionOf(name: string): Promise<string> {
  const json = JSON.parse(await readFile(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string };
  return json.version;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { runs: { type: "string", default: "5" }, text: { type: "string" } }, strict: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  const textPath = values.text ?? join(SHARED, "data/tinyshakespeare.txt");
  const gpt2Dir = join(SHARED, "fixtures/tokenizers/gpt2");
  const text = await readFile(textPath, "utf8");
  const megabytes = Buffer.byteLength(text, "utf8") / 1e6;

  const lmscope = await loadTokenizer(gpt2Dir);
  const tiktoken = getEncoding("gpt2");
  const hfJson = JSON.parse(await readFile(join(gpt2Dir, "tokenizer.json"), "utf8")) as object;
  const hfConfig = JSON.parse(await readFile(join(gpt2Dir, "tokenizer_config.json"), "utf8")) as object;
  const transformersJs = new HfJsTokenizer(hfJson, hfConfig);
  const rows: Row[] = [
    { name: "lmscope", encode: (t) => lmscope.encode(t) },
    { name: `js-tiktoken ${await versionOf("js-tiktoken")}`, encode: (t) => tiktoken.encode(t) },
    { name: `gpt-tokenizer ${await versionOf("gpt-tokenizer")} (r50k_base)`, encode: (t) => gptTokenizerEncode(t) },
    { name: `@huggingface/tokenizers ${await versionOf("@huggingface/tokenizers")}`, encode: (t) => transformersJs.encode(t, { add_special_tokens: false }).ids },
  ];

  process.stdout.write(`GPT-2 encoding of ${textPath} (${megabytes.toFixed(3)} MB), 1 warm-up + median of ${runs} interleaved runs, node ${process.version}\n\n`);
  process.stdout.write(`${"implementation".padEnd(34)} ${"MB/s".padStart(7)} ${"median ms".padStart(10)} ${"tokens".padStart(8)}  ids identical to lmscope\n`);
  // Warm-up (and the ids) first, then the timed runs interleaved round-robin so
  // that a change in machine load hits every implementation alike.
  const results = rows.map((row) => ({ row, ids: row.encode(text), times: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    for (const result of results) {
      const start = performance.now();
      result.row.encode(text);
      result.times.push(performance.now() - start);
    }
  }
  const reference = results[0]!.ids;
  for (const { row, ids, times } of results) {
    const ms = median(times);
    const identical = row.name === "lmscope" ? "(reference)" : sameIds(ids, reference) ? "yes" : "no";
    process.stdout.write(`${row.name.padEnd(34)} ${(megabytes / (ms / 1000)).toFixed(2).padStart(7)} ${ms.toFixed(1).padStart(10)} ${String(ids.length).padStart(8)}  ${identical}\n`);
  }

  const word = Array.from({ length: 1_000_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919) % 26))).join("");
  const start = performance.now();
  const ids = lmscope.encode(word);
  const ms = performance.now() - start;
  process.stdout.write(`\nlmscope, one 1 MB single "word" (pseudo-random a-z, no spaces): ${ms.toFixed(0)} ms, ${ids.length} tokens\n`);
}
