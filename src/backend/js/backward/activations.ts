// Reference backward of the activations, from their inputs (PyTorch
// derivatives.yaml gelu_backward / silu_backward):
//   GELU tanh: y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³)
//              dy/dx = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
//   GELU erf:  y = x·Φ(x),  dy/dx = Φ(x) + x·φ(x)
//   ReLU:      dy/dx = 1 for x > 0, else 0 (torch's threshold_backward)
//   SiLU:      y = x·σ(x),  dy/dx = σ(x)(1 + x(1 − σ(x)))
//   tanh:      dy/dx = 1 − y², from the output

import { erf } from "../../erf.js";
import type { GeluApproximation } from "../../backend.js";
import type { FloatArray } from "../../../tensor/tensor.js";

const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);

export function geluBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number, approximation: GeluApproximation): void {
  if (approximation === "tanh") {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const t = Math.tanh(SQRT_TWO_OVER_PI * (v + 0.044715 * v * v * v));
      const local = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_TWO_OVER_PI * (1 + 3 * 0.044715 * v * v);
      dx[i] += dOut[i]! * local;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * Math.SQRT1_2));
      const pdf = INV_SQRT_TWO_PI * Math.exp(-0.5 * v * v);
      dx[i] += dOut[i]! * (cdf + v * pdf);
    }
  }
}

export function siluBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const sigmoid = 1 / (1 + Math.exp(-v));
    dx[i] += dOut[i]! * sigmoid * (1 + v * (1 - sigmoid));
  }
}

export function tanhBackward(dx: FloatArray, dOut: FloatArray, y: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    dx[i] += dOut[i]! * (1 - v * v);
  }
}

export function reluBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) if (x[i]! > 0) dx[i] += dOut[i]!;
}
