// Position-wise feed-forward networks: the two-layer GELU MLP of GPT-2/BERT and
// the gated (SwiGLU) MLP of the Llama family, down(act(gate(x)) · up(x)).

import type { Backend, GeluApproximation } from "../backend/backend.js";
import type { Linear } from "./linear.js";
import type { Scratch } from "./scratch.js";

export type Activation = "silu" | "gelu_tanh" | "gelu_erf";

export interface FeedForward {
  /** out [rows, dim] = ffn(x [rows, dim]) */
  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number, scratch: Scratch): void;
}

function activate(backend: Backend, activation: Activation, x: Float32Array, n: number): void {
  if (activation === "silu") backend.silu(x, n);
  else backend.gelu(x, n, activation === "gelu_tanh" ? "tanh" : ("erf" satisfies GeluApproximation));
}

/** fc → activation → proj */
export class Mlp implements FeedForward {
  constructor(
    readonly fc: Linear,
    readonly proj: Linear,
    readonly activation: Activation,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number, scratch: Scratch): void {
    const hidden = scratch.hidden; // [rows, ffnDim]
    this.fc.forward(backend, hidden, x, rows);
    activate(backend, this.activation, hidden, rows * this.fc.outFeatures);
    this.proj.forward(backend, out, hidden, rows);
  }
}

/** down(act(gate(x)) · up(x)) */
export class GatedMlp implements FeedForward {
  constructor(
    readonly gateProj: Linear,
    readonly upProj: Linear,
    readonly downProj: Linear,
    readonly activation: Activation,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number, scratch: Scratch): void {
    const n = rows * this.gateProj.outFeatures;
    this.gateProj.forward(backend, scratch.gate, x, rows); // [rows, ffnDim]
    this.upProj.forward(backend, scratch.hidden, x, rows); // [rows, ffnDim]
    activate(backend, this.activation, scratch.gate, n);
    backend.mul(scratch.hidden, scratch.gate, scratch.hidden, n);
    this.downProj.forward(backend, out, scratch.hidden, rows); // [rows, dim]
  }
}
