// Seeded initial weights for a new recurrent language model, with PyTorch's
// default distributions (the same laws, drawn from lmscope's seeded generator,
// so not torch's numbers): nn.Embedding N(0, 1); every weight and bias of
// nn.RNN / nn.LSTM / nn.GRU U(−1/√hidden, 1/√hidden) (reset_parameters);
// nn.Linear's weight and bias U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5).
// The same seed always gives the same weights.

import { Rng } from "../../tensor/random.js";
import { numel, type Shape } from "../../tensor/tensor.js";
import type { Initializer } from "../weight-store.js";
import type { RecurrentConfig } from "./rnn-config.js";

export function torchDefaultInitializer(seed: number, config: RecurrentConfig): Initializer {
  const rng = new Rng(seed);
  const uniform = (bound: number) => (2 * rng.nextFloat() - 1) * bound;
  const normal = (): number => {
    const u = 1 - rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  };
  // the recurrent layers and the head (in = hidden) share the bound 1/√hidden
  const bound = 1 / Math.sqrt(config.hiddenSize);
  return (name: string, shape: Shape): Float32Array => {
    const data = new Float32Array(numel(shape));
    for (let i = 0; i < data.length; i++) data[i] = name === "embedding.weight" ? normal() : uniform(bound);
    return data;
  };
}
