// Normalisation layers: LayerNorm (GPT-2, BERT) and RMSNorm (Llama family).
import type { Backend } from "../backend/backend.js";

export interface Norm {
  /** out [rows, dim] = norm(x [rows, dim]); out may alias x. */
  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void;
}

export class LayerNorm implements Norm {
  constructor(
    readonly weight: Float32Array,
    readonly bias: Float32Array,
    readonly eps: number,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.layerNorm(out, x, this.weight, this.bias, rows, this.weight.length, this.eps);
  }
}

export class RMSNorm implements Norm {
  constructor(
    readonly weight: Float32Array,
    readonly eps: number,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.rmsNorm(out, x, this.weight, rows, this.weight.length, this.eps);
  }
}
