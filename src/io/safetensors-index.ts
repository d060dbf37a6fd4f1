// Hugging Face checkpoint folders in safetensors form, following transformers'
// `from_pretrained` file lookup: `model.safetensors` if present, otherwise the sharded
// `model.safetensors.index.json` ({"metadata": {...}, "weight_map": {tensor: shard file}})
// and the shards it lists. The index is untrusted: shard names must be plain file names
// in the same folder, every shard must exist, every tensor must be in the shard the index
// names, and no tensor may appear in two shards or in a shard without an index entry.
import { access } from "node:fs/promises";
import { basename, join } from "node:path";
import { ModelFormatError } from "../errors.js";
import { readWholeFile } from "./file-bytes.js";
import { readSafetensors, type TensorRecord } from "./safetensors.js";

const SINGLE_FILE = "model.safetensors";
const INDEX_FILE = "model.safetensors.index.json";
const PYTORCH_FILES = ["pytorch_model.bin", "pytorch_model.bin.index.json"];
/** An index lists one line per tensor; 64 MiB is far above any real one. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** Read every tensor of a Hugging Face model folder (single-file or sharded safetensors). */
export async function readSafetensorsDir(dir: string): Promise<Map<string, TensorRecord>> {
  const single = join(dir, SINGLE_FILE);
  if (await exists(single)) return (await readSafetensors(single)).tensors;
  const index = join(dir, INDEX_FILE);
  if (await exists(index)) return readSharded(dir, index);
  const pytorch = [];
  for (const name of PYTORCH_FILES) if (await exists(join(dir, name))) pytorch.push(name);
  throw new ModelFormatError(
    dir,
    `no ${SINGLE_FILE} or ${INDEX_FILE} in this folder` +
      (pytorch.length > 0 ? `; found ${pytorch.join(", ")}, but PyTorch pickle checkpoints are not supported (convert them to safetensors)` : ""),
  );
}

async function readSharded(dir: string, indexPath: string): Promise<Map<string, TensorRecord>> {
  const weightMap = parseIndex(await readWholeFile(indexPath, MAX_INDEX_BYTES), indexPath);
  const shards = new Map<string, string[]>(); // shard file → tensors the index puts there
  for (const [tensor, shard] of weightMap) {
    if (shard !== basename(shard) || shard === "." || shard === ".." || shard.includes("\\")) {
      throw new ModelFormatError(indexPath, `shard "${shard}" is not a plain file name in the model folder`, tensor);
    }
    const listed = shards.get(shard);
    if (listed === undefined) shards.set(shard, [tensor]);
    else listed.push(tensor);
  }
  for (const shard of shards.keys()) {
    if (!(await exists(join(dir, shard)))) throw new ModelFormatError(indexPath, `lists shard "${shard}", which does not exist in ${dir}`);
  }

  const tensors = new Map<string, TensorRecord>();
  for (const [shard, expected] of shards) {
    const shardPath = join(dir, shard);
    const file = await readSafetensors(shardPath);
    for (const [name, record] of file.tensors) {
      if (tensors.has(name)) throw new ModelFormatError(shardPath, "also appears in another shard", name);
      if (weightMap.get(name) !== shard) {
        throw new ModelFormatError(
          shardPath,
          weightMap.has(name) ? `is here, but ${INDEX_FILE} puts it in "${weightMap.get(name)}"` : `is not listed in ${INDEX_FILE}`,
          name,
        );
      }
      tensors.set(name, record);
    }
    for (const name of expected) {
      if (!file.tensors.has(name)) throw new ModelFormatError(indexPath, `says this tensor is in "${shard}", but it is not there`, name);
    }
  }
  return tensors;
}

/** The `weight_map` of an index file: tensor name → shard file name. */
function parseIndex(bytes: Uint8Array, path: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ModelFormatError(path, `is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  const weightMap = isObject(index) ? index["weight_map"] : undefined;
  if (!isObject(weightMap)) throw new ModelFormatError(path, `has no "weight_map" object`);
  const entries = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") throw new ModelFormatError(path, "weight_map value is not a file name", tensor);
    entries.set(tensor, shard);
  }
  return entries;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
