// Seeded initial weights for a new model, GPT-2 style (Radford et al. 2019;
// nanoGPT `_init_weights`): weights N(0, 0.02²), the projections that write into
// the residual stream (attention output, MLP output) N(0, (0.02/√(2·n_layers))²),
// biases 0, normalisation gains 1. The same seed always gives the same weights.

import { Rng } from "../tensor/random.js";
import { numel, type Shape } from "../tensor/tensor.js";
import type { Initializer } from "./weight-store.js";

const STD = 0.02;
/** GPT-2's attn.c_proj and mlp.c_proj; Llama's o_proj and down_proj. */
const RESIDUAL_PROJECTION = /(\.c_proj|\.o_proj|\.down_proj)\.weight$/;

export function gpt2StyleInitializer(seed: number, numLayers: number): Initializer {
  const rng = new Rng(seed);
  const normal = (): number => {
    const u = 1 - rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  };
  return (name: string, shape: Shape): Float32Array => {
    const data = new Float32Array(numel(shape));
    if (name.endsWith(".bias")) return data;
    if (shape.length === 1) return data.fill(1); // norm gains: the only 1-D weights
    const std = RESIDUAL_PROJECTION.test(name) ? STD / Math.sqrt(2 * numLayers) : STD;
    for (let i = 0; i < data.length; i++) data[i] = std * normal();
    return data;
  };
}
