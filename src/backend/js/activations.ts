// Reference activations, in place. GELU "tanh" is GPT-2's gelu_new
// (0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))); "erf" is the exact x·Φ(x) of BERT
// and torch nn.GELU(). ReLU is max(0, x) (the original Transformer, T5). SiLU is
// x·σ(x) (Llama's SwiGLU gate); tanh is BERT's pooler.

import type { FloatArray } from "../../tensor/tensor.js";
import { erf } from "../erf.js";
import type { GeluApproximation } from "../backend.js";

const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

export function gelu(x: FloatArray, n: number, approximation: GeluApproximation): void {
  if (approximation === "tanh") {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      x[i] = 0.5 * v * (1 + Math.tanh(SQRT_TWO_OVER_PI * (v + 0.044715 * v * v * v)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      x[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2));
    }
  }
}

export function relu(x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) x[i] = x[i]! > 0 ? x[i]! : 0;
}

export function silu(x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    x[i] = v / (1 + Math.exp(-v));
  }
}

export function tanh(x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) x[i] = Math.tanh(x[i]!);
}
