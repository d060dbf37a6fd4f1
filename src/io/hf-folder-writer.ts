// Writing a model as the Hugging Face folder loadModel reads: config.json,
// model.safetensors and the tokenizer files of the folder it came from, each
// file written atomically (temporary file + rename).

import { copyFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { JsonObject } from "../models/config-reader.js";
import { writeFileAtomic } from "./file-bytes.js";
import { writeSafetensors } from "./safetensors.js";

/** Tokenizer files a Hugging Face folder may hold. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model"];

export async function writeHfFolder(
  dir: string,
  config: JsonObject,
  tensors: readonly { name: string; shape: readonly number[]; data: Float32Array }[],
  /** A folder whose tokenizer files are copied along, or null. */
  tokenizerSource: string | null,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  await writeFileAtomic(join(dir, "config.json"), [new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`)]);
  if (tokenizerSource === null) return;
  for (const file of TOKENIZER_FILES) {
    const from = join(tokenizerSource, file);
    if (await stat(from).then((s) => s.isFile(), () => false)) await copyFile(from, join(dir, file));
  }
}
