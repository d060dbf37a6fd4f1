// Position-wise feed-forward networks: the two-layer MLP of the original
// Transformer (ReLU), GPT-2 and BERT (GELU), and the gated MLP of the Llama family,
// down(act(gate(x)) · up(x)) (SwiGLU; Gemma's GeGLU). The hidden activations — the
// "neurons" — are the capture point mlp.post.

import { gelu, relu, silu } from "../autograd/activations.js";
import { mul } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend, GeluApproximation } from "../backend/backend.js";
import type { Linear } from "./linear.js";
import { observe, type ForwardPass } from "./observer.js";
import type { TapeContext } from "./tape-context.js";

export type Activation = "silu" | "gelu_tanh" | "gelu_erf" | "relu";

export interface FeedForward {
  /** out [rows, dim] = ffn(x [rows, dim]) */
  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, position: number): void;
  /** The same, recorded on a tape: [rows, dim] → [rows, dim]. */
  forwardOnTape(ctx: TapeContext, x: Variable): Variable;
  /** Its Linear layers (for LoRA). */
  linears(): Linear[];
}

function approximation(activation: "gelu_tanh" | "gelu_erf"): GeluApproximation {
  return activation === "gelu_tanh" ? "tanh" : "erf";
}

/** The activation in place on the first n elements of x. */
export function activate(backend: Backend, activation: Activation, x: Float32Array, n: number): void {
  switch (activation) {
    case "silu":
      return backend.silu(x, n);
    case "relu":
      return backend.relu(x, n);
    default:
      return backend.gelu(x, n, approximation(activation));
  }
}

/** The activation recorded on a tape. */
export function activateOnTape(ctx: TapeContext, activation: Activation, x: Variable): Variable {
  switch (activation) {
    case "silu":
      return silu(ctx.tape, x);
    case "relu":
      return relu(ctx.tape, x);
    default:
      return gelu(ctx.tape, x, approximation(activation));
  }
}

/** fc → activation → proj */
export class Mlp implements FeedForward {
  constructor(
    readonly fc: Linear,
    readonly proj: Linear,
    readonly activation: Activation,
  ) {}

  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, position: number): void {
    const { backend } = pass;
    const hidden = pass.scratch.hidden; // [rows, ffnDim]
    this.fc.forward(backend, hidden, x, rows);
    activate(backend, this.activation, hidden, rows * this.fc.outFeatures);
    observe(pass, "mlp.post", hidden, rows, this.fc.outFeatures, position);
    this.proj.forward(backend, out, hidden, rows);
  }

  forwardOnTape(ctx: TapeContext, x: Variable): Variable {
    return this.proj.forwardOnTape(ctx, activateOnTape(ctx, this.activation, this.fc.forwardOnTape(ctx, x)));
  }

  linears(): Linear[] {
    return [this.fc, this.proj];
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

  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, position: number): void {
    const { backend, scratch } = pass;
    const n = rows * this.gateProj.outFeatures;
    this.gateProj.forward(backend, scratch.gate, x, rows); // [rows, ffnDim]
    this.upProj.forward(backend, scratch.hidden, x, rows); // [rows, ffnDim]
    activate(backend, this.activation, scratch.gate, n);
    backend.mul(scratch.hidden, scratch.gate, scratch.hidden, n);
    observe(pass, "mlp.post", scratch.hidden, rows, this.gateProj.outFeatures, position);
    this.downProj.forward(backend, out, scratch.hidden, rows); // [rows, dim]
  }

  forwardOnTape(ctx: TapeContext, x: Variable): Variable {
    const gate = activateOnTape(ctx, this.activation, this.gateProj.forwardOnTape(ctx, x)); // [rows, ffnDim]
    return this.downProj.forwardOnTape(ctx, mul(ctx.tape, gate, this.upProj.forwardOnTape(ctx, x)));
  }

  linears(): Linear[] {
    return [this.gateProj, this.upProj, this.downProj];
  }
}
