// Which files of a hub repo a load needs, from the repo's file list: config.json
// (+ generation_config.json), the tokenizer files, and the weights as safetensors
// — model.safetensors, or model.safetensors.index.json and the shards its
// weight_map names — or, for GGUF repos, the one chosen .gguf file. Pickled
// PyTorch weights (.bin, .pt, .pth, .ckpt, .pkl) are never fetched: unpickling a
// stranger's file can run code, and lmscope reads safetensors and GGUF only.
import { HubError } from "../../errors.js";
import { chooseGgufFile } from "./gguf-choice.js";
import type { HubModelId } from "./model-id.js";

export const CONFIG_FILES = ["config.json", "generation_config.json"] as const;

export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.json",
  "merges.txt",
  "vocab.txt",
  "chat_template.jinja",
  "chat_template.json",
  "tokenizer.model",
  "spiece.model",
  "sentencepiece.bpe.model",
] as const;

export const SAFETENSORS_FILE = "model.safetensors";
export const SAFETENSORS_INDEX = "model.safetensors.index.json";

const PICKLE = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;

/** True for files holding pickled Python objects, which lmscope never downloads. */
export function isPickle(path: string): boolean {
  return PICKLE.test(path) && !/(^|\/)tok[^/]*\.bin$/.test(path);
}

/** What to fetch for a load: a Hugging Face folder's files, or one GGUF file. */
export type LoadPlan =
  | { readonly kind: "folder"; readonly files: readonly string[]; readonly index: string | undefined }
  | { readonly kind: "gguf"; readonly file: string };

/**
 * The files a load of `id` needs from a repo holding `files`. For a sharded model
 * `index` names the index, whose shards are added once it is read (shardsOfIndex).
 */
export function planLoad(id: HubModelId, files: readonly string[]): LoadPlan {
  const has = new Set(files);
  if (id.file !== undefined) {
    if (!has.has(id.file)) throw new HubError(id.repo, "not-found", `the file is not in ${id.repo}@${id.revision}`, id.file);
    if (!/\.gguf$/i.test(id.file)) throw new HubError(id.repo, "unsupported", "only a .gguf file can be named inside a repo; name the repo itself for a Hugging Face folder", id.file);
    return { kind: "gguf", file: id.file };
  }
  const hasSafetensors = has.has(SAFETENSORS_FILE) || has.has(SAFETENSORS_INDEX);
  if (id.quant !== undefined || !has.has("config.json") || !hasSafetensors) {
    if (files.some((f) => /\.gguf$/i.test(f))) return { kind: "gguf", file: chooseGgufFile(id.repo, files, id.quant) };
    if (id.quant !== undefined) throw new HubError(id.repo, "not-found", `holds no GGUF file, so :${id.quant} names nothing; load it as hf:${id.repo}`);
  }
  if (!has.has("config.json")) throw new HubError(id.repo, "unsupported", "holds neither config.json (a Hugging Face model folder) nor a .gguf file");
  if (!hasSafetensors) {
    const pickles = files.filter((f) => !f.includes("/") && isPickle(f));
    const what = pickles.length > 0 ? `only pickled PyTorch weights (${pickles.join(", ")})` : "no model.safetensors";
    throw new HubError(id.repo, "unsupported", `holds ${what}; lmscope reads safetensors and GGUF weights, never pickles`);
  }
  const wanted = [...CONFIG_FILES, ...TOKENIZER_FILES].filter((f) => has.has(f));
  if (has.has(SAFETENSORS_FILE)) return { kind: "folder", files: [...wanted, SAFETENSORS_FILE], index: undefined };
  return { kind: "folder", files: [...wanted, SAFETENSORS_INDEX], index: SAFETENSORS_INDEX };
}

/** The shard files a model.safetensors.index.json names (its weight_map values), checked against the repo's files when known. */
export function shardsOfIndex(repo: string, indexText: string, files: readonly string[] | undefined): string[] {
  let index: unknown;
  try {
    index = JSON.parse(indexText);
  } catch {
    throw new HubError(repo, "protocol", "is not valid JSON", SAFETENSORS_INDEX);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw new HubError(repo, "protocol", 'has no "weight_map" object', SAFETENSORS_INDEX);
  const shards = [...new Set(Object.values(weightMap))];
  const has = files === undefined ? undefined : new Set(files);
  for (const shard of shards) {
    if (typeof shard !== "string" || !shard.endsWith(".safetensors") || shard.includes("/") || shard.startsWith(".") || has?.has(shard) === false) {
      throw new HubError(repo, "protocol", `weight_map names ${JSON.stringify(shard)}, which is not a .safetensors file of the repo`, SAFETENSORS_INDEX);
    }
  }
  return shards as string[];
}
