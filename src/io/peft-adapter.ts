// PEFT LoRA adapters on disk: adapter_config.json (peft_type "LORA", r, lora_alpha,
// lora_dropout, target_modules, fan_in_fan_out, bias) and adapter_model.safetensors
// holding base_model.model.<module>.lora_A.weight [r, in] and lora_B.weight [out, r].
// Features PEFT has but lmscope does not (DoRA, rsLoRA, bias training, per-module
// ranks) are refused by name rather than silently ignored.

import { join } from "node:path";
import { ModelFormatError } from "../errors.js";
import type { AttachedLora, LoraOptions } from "../models/lora.js";
import { ConfigReader } from "../models/config-reader.js";
import type { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./file-bytes.js";
import { readJsonObject } from "./json-file.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";

export interface AdapterFiles {
  readonly options: LoraOptions;
  readonly tensors: ReadonlyMap<string, Tensor>;
}

const CONFIG = "adapter_config.json";
const WEIGHTS = "adapter_model.safetensors";

export async function readAdapter(dir: string): Promise<AdapterFiles> {
  const configPath = join(dir, CONFIG);
  const json = await readJsonObject(configPath);
  const c = new ConfigReader(json, configPath);
  const type = c.string("peft_type");
  if (type !== "LORA") throw new ModelFormatError(configPath, `peft_type "${type}" is not supported (only LORA)`);
  for (const flag of ["use_dora", "use_rslora"]) {
    if (c.boolean(flag, false)) throw new ModelFormatError(configPath, `"${flag}": true is not supported`);
  }
  if (c.string("bias", "none") !== "none") throw new ModelFormatError(configPath, `"bias" must be "none" (trained biases are not supported)`);
  for (const pattern of ["rank_pattern", "alpha_pattern"]) {
    const value = json[pattern];
    if (value !== undefined && value !== null && Object.keys(value as object).length > 0) {
      throw new ModelFormatError(configPath, `"${pattern}" (per-module ranks or alphas) is not supported`);
    }
  }
  const targets = json["target_modules"];
  const targetModules =
    typeof targets === "string" ? targets : Array.isArray(targets) && targets.every((t) => typeof t === "string") ? (targets as string[]) : null;
  if (targetModules === null) throw new ModelFormatError(configPath, `"target_modules" must be a list of module names or a regular expression`);
  const dropout = json["lora_dropout"];
  const options: LoraOptions = {
    r: c.positiveInt("r"),
    alpha: c.positiveNumber("lora_alpha"),
    dropout: typeof dropout === "number" ? dropout : 0,
    targetModules,
  };
  const { tensors } = await readSafetensors(join(dir, WEIGHTS));
  return { options, tensors };
}

export async function writeAdapter(dir: string, attached: AttachedLora, baseModel: string): Promise<void> {
  const { r, alpha, dropout, targetModules } = attached.options;
  const config = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r,
    lora_alpha: alpha,
    lora_dropout: dropout,
    target_modules: targetModules,
    fan_in_fan_out: attached.fanInFanOut,
    bias: "none",
    use_dora: false,
    use_rslora: false,
    inference_mode: true,
  };
  const tensors = attached.parameters.named().map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
  await writeSafetensors(join(dir, WEIGHTS), tensors, { format: "pt" });
  await writeFileAtomic(join(dir, CONFIG), [new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`)]);
}
