// Attaching LoRA adapters to a model's Linear layers the way PEFT does: a layer is
// targeted when its module name (its weight's HF name without ".weight") equals a
// target or ends with "." + target (or, for a string, fully matches it as a regex);
// adapter tensors are named base_model.model.<module>.lora_A/lora_B.weight. The
// base weights are frozen while adapters are attached; merging folds
// scaling·B·A into them (transposed for GPT-2's Conv1D layout) and detaches. A
// fused weight (GPT-2's c_attn, Phi-3's qkv_proj) gets one adapter, each of its
// Linears reading the rows of B of its own window.

import { Parameter } from "../autograd/variable.js";
import { OptionError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import type { Linear } from "../nn/linear.js";
import { LoraAdapter } from "../nn/lora.js";
import { ParameterIndex } from "../nn/parameter-index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { DecoderOnlyModel } from "./decoder-only.js";

export interface LoraOptions {
  /** Rank of the update. */
  r: number;
  /** scaling = alpha / r */
  alpha: number;
  /** Dropout on the adapter's input while training (default 0). */
  dropout?: number;
  /** Module names (suffixes such as "c_attn", "q_proj") or one regular expression. */
  targetModules: readonly string[] | string;
  /** Seed of lora_A's initialisation (default 0); lora_B starts at zero. */
  seed?: number;
}

export interface AttachedLora {
  readonly options: Required<LoraOptions>;
  /** PEFT-named lora_A / lora_B parameters, in module order. */
  readonly parameters: ParameterIndex;
  /** Target modules whose weights are stored [in, out] (Conv1D; PEFT fan_in_fan_out). */
  readonly fanInFanOut: boolean;
  readonly modules: ReadonlyMap<string, { adapter: LoraAdapter; linears: readonly Linear[] }>;
}

export const peftName = (module: string, matrix: "A" | "B") => `base_model.model.${module}.lora_${matrix}.weight`;

function matcher(targets: readonly string[] | string): (module: string) => boolean {
  if (typeof targets === "string") {
    const pattern = new RegExp(`^(?:${targets})$`);
    return (module) => pattern.test(module);
  }
  return (module) => targets.some((t) => module === t || module.endsWith(`.${t}`));
}

function checkOptions(options: LoraOptions): Required<LoraOptions> {
  const { r, alpha, dropout = 0, targetModules, seed = 0 } = options;
  if (!Number.isSafeInteger(r) || r < 1) throw new OptionError("r", `expected a positive integer rank, got ${r}`);
  if (!(alpha > 0)) throw new OptionError("alpha", `expected a positive number, got ${alpha}`);
  if (!(dropout >= 0 && dropout < 1)) throw new OptionError("dropout", `expected a number in [0, 1), got ${dropout}`);
  if (typeof targetModules !== "string" && (!Array.isArray(targetModules) || targetModules.length === 0)) {
    throw new OptionError("targetModules", "name at least one module (e.g. c_attn, q_proj)");
  }
  return { r, alpha, dropout, targetModules, seed };
}

/**
 * Attaches adapters to the targeted Linears and freezes the base weights. `tensors`
 * (PEFT names) gives their values — a saved adapter; absent ones are initialised
 * as PEFT does: lora_A ~ U(−1/√in, 1/√in), lora_B = 0.
 */
export function attachLora(network: DecoderOnlyModel, options: LoraOptions, tensors?: ReadonlyMap<string, Tensor>): AttachedLora {
  if (network.linears().some((l) => l.lora !== null)) throw new OptionError("lora", "the model already has LoRA adapters; merge them first");
  const resolved = checkOptions(options);
  const targeted = matcher(resolved.targetModules);
  const byModule = new Map<string, Linear[]>();
  for (const linear of network.linears()) {
    if (linear.weight.type !== "f32" && linear.weight.type !== "f32_columns") continue;
    const module = network.parameters.nameOf(linear.weight.data).replace(/\.weight$/, "");
    if (!targeted(module)) continue;
    byModule.set(module, [...(byModule.get(module) ?? []), linear]);
  }
  if (byModule.size === 0) {
    throw new OptionError("targetModules", `no Linear layer matches ${JSON.stringify(resolved.targetModules)}`);
  }
  const rng = new Rng(resolved.seed);
  const parameters = new ParameterIndex();
  const modules = new Map<string, { adapter: LoraAdapter; linears: Linear[] }>();
  let fanInFanOut = false;
  for (const [module, linears] of byModule) {
    const first = linears[0]!.weight;
    const inFeatures = first.cols;
    const whole = network.parameters.get(`${module}.weight`)!;
    const outFeatures = first.type === "f32_columns" ? first.stride : whole.shape[0]!;
    fanInFanOut ||= first.type === "f32_columns";
    const a = valueOf(tensors, peftName(module, "A"), [resolved.r, inFeatures], () => {
      const bound = 1 / Math.sqrt(inFeatures);
      return Float32Array.from({ length: resolved.r * inFeatures }, () => (2 * rng.nextFloat() - 1) * bound);
    });
    const b = valueOf(tensors, peftName(module, "B"), [outFeatures, resolved.r], () => new Float32Array(outFeatures * resolved.r));
    parameters.add(peftName(module, "A"), network.backend.upload(a), [resolved.r, inFeatures]);
    parameters.add(peftName(module, "B"), network.backend.upload(b), [outFeatures, resolved.r]);
    const adapter = new LoraAdapter(
      parameters.get(peftName(module, "A")) as Parameter,
      parameters.get(peftName(module, "B")) as Parameter,
      resolved.alpha / resolved.r,
      resolved.dropout,
    );
    for (const linear of linears) {
      const w = linear.weight;
      // A row window of a fused nn.Linear weight starts at its offset in the whole.
      const firstRow = w.type === "f32_columns" ? w.firstColumn : w.type === "f32" ? windowStart(whole.data, w.data, inFeatures) : 0;
      linear.lora = { adapter, first: firstRow, count: w.rows };
    }
    modules.set(module, { adapter, linears });
  }
  network.parameters.frozen = true;
  return { options: resolved, parameters, fanInFanOut, modules };
}

/** The row of `whole` [rows, cols] where the window `part` (a subarray of it) starts. */
function windowStart(whole: Float32Array, part: Float32Array, cols: number): number {
  return (part.byteOffset - whole.byteOffset) / Float32Array.BYTES_PER_ELEMENT / cols;
}

function valueOf(tensors: ReadonlyMap<string, Tensor> | undefined, name: string, shape: number[], init: () => Float32Array): Float32Array {
  if (tensors === undefined) return init();
  const tensor = tensors.get(name);
  if (tensor === undefined) throw new OptionError("adapter", `the adapter has no tensor "${name}"`);
  if (tensor.shape.length !== 2 || tensor.shape[0] !== shape[0] || tensor.shape[1] !== shape[1]) {
    throw new OptionError("adapter", `"${name}" has shape [${tensor.shape.join(", ")}], the model needs [${shape.join(", ")}]`);
  }
  return tensor.data;
}

/** Folds every adapter into its base weight (W += scaling·B·A), detaches them and unfreezes the base. */
export function mergeLora(network: DecoderOnlyModel, attached: AttachedLora): void {
  for (const [module, { adapter, linears }] of attached.modules) {
    const w = linears[0]!.weight;
    if (w.type !== "f32" && w.type !== "f32_columns") continue;
    const whole = network.parameters.get(`${module}.weight`)!.data; // all windows of a fused weight at once
    adapter.mergeInto(whole, w.type === "f32_columns" ? "in-out" : "out-in");
    for (const linear of linears) linear.lora = null;
  }
  network.parameters.frozen = false;
}

/** Removes the adapters without merging and unfreezes the base. */
export function detachLora(network: DecoderOnlyModel, attached: AttachedLora): void {
  for (const { linears } of attached.modules.values()) for (const linear of linears) linear.lora = null;
  network.parameters.frozen = false;
}
