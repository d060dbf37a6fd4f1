// Hands a checkpoint's tensors to a model builder by name, checking each shape
// against the config, and afterwards that no tensor was left unexplained.
// Every failure names the checkpoint, the tensor and what was expected.

import type { Backend } from "../backend/backend.js";
import { ModelFormatError } from "../errors.js";
import { shapeString, type NamedTensors, type Shape } from "../tensor/tensor.js";
import { f32Matrix, type WeightMatrix } from "../tensor/weights.js";

export class WeightStore {
  private readonly used = new Set<string>();

  constructor(
    private readonly tensors: NamedTensors,
    /** File or folder the tensors came from, for error messages. */
    readonly source: string,
    /** Where the weights go: every tensor handed out is uploaded to it. */
    readonly backend: Backend,
  ) {}

  /** Elements of every tensor taken so far (each tensor once, so tied weights count once). */
  get parameterCount(): number {
    let total = 0;
    for (const name of this.used) total += this.tensors.get(name)!.data.length;
    return total;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor's data, uploaded to the backend; it must exist and have exactly `shape`. */
  take(name: string, shape: Shape): Float32Array {
    return this.backend.upload(this.raw(name, shape));
  }

  /** The tensor's data as in the checkpoint (not uploaded), for builders that rearrange it first. */
  raw(name: string, shape: Shape): Float32Array {
    const tensor = this.tensors.get(name);
    if (tensor === undefined) {
      throw new ModelFormatError(this.source, `missing (expected shape ${shapeString(shape)})`, name);
    }
    const same = tensor.shape.length === shape.length && tensor.shape.every((d, i) => d === shape[i]);
    if (!same) {
      throw new ModelFormatError(
        this.source,
        `has shape ${shapeString(tensor.shape)} but the config implies ${shapeString(shape)}`,
        name,
      );
    }
    this.used.add(name);
    return tensor.data;
  }

  /** take() when present, null otherwise. */
  takeOptional(name: string, shape: Shape): Float32Array | null {
    return this.tensors.has(name) ? this.take(name, shape) : null;
  }

  /** A [rows, cols] weight matrix in nn.Linear layout, uploaded to the backend. */
  matrix(name: string, rows: number, cols: number): WeightMatrix {
    return this.backend.uploadMatrix(f32Matrix(this.raw(name, [rows, cols]), rows, cols));
  }

  /** Uploads a matrix a builder derived from checkpoint tensors (transposed, split, tied). */
  upload(matrix: WeightMatrix): WeightMatrix {
    return this.backend.uploadMatrix(matrix);
  }

  /** Throws if a tensor was neither taken nor matched by `ignorable` (buffers such as masks). */
  assertAllUsed(ignorable: RegExp | null = null): void {
    const unexplained = [...this.tensors.keys()].filter((n) => !this.used.has(n) && !(ignorable?.test(n) ?? false));
    if (unexplained.length > 0) {
      const shown = unexplained.slice(0, 5).join(", ");
      const more = unexplained.length > 5 ? ` and ${unexplained.length - 5} more` : "";
      throw new ModelFormatError(
        this.source,
        `unexpected tensors for this architecture: ${shown}${more} (is config.json's model_type right?)`,
      );
    }
  }
}
