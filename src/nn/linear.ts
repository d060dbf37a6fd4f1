// Linear layer y = x·Wᵀ + b with W in nn.Linear layout [out, in].
import type { Backend } from "../backend/backend.js";
import type { WeightMatrix } from "../tensor/weights.js";

export class Linear {
  constructor(
    readonly weight: WeightMatrix,
    readonly bias: Float32Array | null,
  ) {}

  get inFeatures(): number {
    return this.weight.cols;
  }

  get outFeatures(): number {
    return this.weight.rows;
  }

  /** out [rows, outFeatures] = x [rows, inFeatures] · Wᵀ + b */
  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.matmul(out, x, this.weight, this.bias, rows);
  }
}
