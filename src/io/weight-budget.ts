// Whether a model's weights fit the backend's memory, decided before any weight is
// read: the WASM backend's linear memory holds at most 4 GiB, and a model that
// cannot fit is refused with its size and the limit, instead of failing half-way
// through a load. The size is what the weights take once loaded: safetensors
// tensors widened to float32 (from their headers alone), a GGUF file's tensors as
// stored (quantized and 16-bit matrices stay so), a llama2.c checkpoint as float32.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import { numel } from "../tensor/tensor.js";
import { readSafetensorsHeader } from "./safetensors.js";

const GIB = 2 ** 30;

/** Bytes the float32 tensors of a Hugging Face folder's safetensors files take once widened. */
export async function safetensorsFolderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith(".safetensors")) continue;
    for (const entry of await readSafetensorsHeader(join(dir, name))) bytes += 4 * numel(entry.shape);
  }
  return bytes;
}

/** Bytes of a weight file taken as they are stored (GGUF) or as float32 of the same count (llama2.c stores f32). */
export async function fileBytes(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Throws unless `bytes` of weights fit what the backend can still hold. */
export function checkWeightsFit(backend: Backend, bytes: number, path: string): void {
  const budget = backend.memoryBudget?.();
  if (budget === undefined) return;
  const free = budget.limit - budget.used;
  if (bytes <= free) return;
  const gib = (n: number) => (n >= GIB ? `${(n / GIB).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(2)} MiB`);
  throw new InputError(
    `${path}: the weights take ${gib(bytes)} once loaded, more than the ${backend.name} backend's memory can hold ` +
      `(${gib(free)} free of ${gib(budget.limit)}): use a smaller or quantized model (e.g. a GGUF Q4_K_M file), or the js backend`,
  );
}
