// Tiny Hugging Face model folders of any decoder family, written at test time: the
// family builds its network from config.json with the seeded initializer of
// family-configs.ts, every tensor it asks for is recorded under its HF name, and the
// folder gets config.json and model.safetensors as transformers saves them.
import { writeHfFolder } from "../../src/io/hf-folder-writer.js";
import { jsBackend } from "../../src/backend/js/index.js";
import type { JsonObject } from "../../src/models/config-reader.js";
import { blueprintFor } from "../../src/models/registry.js";
import { familyInitializer } from "./family-configs.js";

/** Writes the folder `dir` for `config` with weights drawn from `seed`; returns the tensors by HF name. */
export async function writeFamilyFolder(dir: string, config: JsonObject, seed: number): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const initialize = familyInitializer(seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  blueprintFor(config, `${dir}/config.json`).build(new Map(), dir, {
    backend: jsBackend,
    ropeLayout: "half",
    initializer: (name, shape) => {
      const data = initialize(name, shape);
      tensors.set(name, { shape: [...shape], data });
      return data;
    },
  });
  await writeHfFolder(dir, config, [...tensors].map(([name, t]) => ({ name, ...t })), null);
  return tensors;
}
