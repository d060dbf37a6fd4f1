// Hands a checkpoint's tensors to a model builder by name, checking each shape
// against the config, and afterwards that no tensor was left unexplained.
// Every failure names the checkpoint, the tensor and what was expected.

import type { Backend } from "../backend/backend.js";
import { ModelFormatError } from "../errors.js";
import { dequantize } from "../tensor/quantize.js";
import { numel, shapeString, type NamedTensors, type Shape, type Tensor } from "../tensor/tensor.js";
import { f32Matrix, rowWindow, type WeightMatrix } from "../tensor/weights.js";
import { ParameterIndex } from "../nn/parameter-index.js";

/**
 * A checkpoint tensor that is already a weight matrix of some storage type (a quantized
 * GGUF tensor): `matrix(name)` hands out the matrix itself; `data` (for builders that
 * need f32 values, e.g. a tied embedding) is dequantized on first use.
 */
export interface PrebuiltMatrixTensor extends Tensor {
  readonly matrix: WeightMatrix;
}

export function prebuiltMatrixTensor(matrix: WeightMatrix): PrebuiltMatrixTensor {
  let data: Float32Array | undefined;
  return {
    matrix,
    shape: [matrix.rows, matrix.cols],
    get data(): Float32Array {
      data ??= dequantize(matrix);
      return data;
    },
  };
}

/** The largest tensor a new model creates: 2³⁰ floats, 4 GiB (the WASM memory's whole size). */
const MAX_CREATED_ELEMENTS = 2 ** 30;

/** Makes the value of a tensor a checkpoint lacks (seeded initialisation of a new model). */
export type Initializer = (name: string, shape: Shape) => Float32Array;

export class WeightStore {
  private readonly used = new Set<string>();
  /** Every float32 tensor handed out, under its HF name, sharing the uploaded storage. */
  readonly parameters = new ParameterIndex();

  constructor(
    private readonly tensors: NamedTensors,
    /** File or folder the tensors came from, for error messages. */
    readonly source: string,
    /** Where the weights go: every tensor handed out is uploaded to it. */
    readonly backend: Backend,
    /** When given, tensors the checkpoint lacks are created by it instead of being an error. */
    private readonly initializer: Initializer | null = null,
  ) {}

  /** Elements of every tensor taken so far (each tensor once, so tied weights count once). */
  get parameterCount(): number {
    let total = 0;
    for (const name of this.used) total += numel((this.tensors.get(name) ?? this.created.get(name))!.shape);
    return total;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor's data, uploaded to the backend; it must exist and have exactly `shape`. */
  take(name: string, shape: Shape): Float32Array {
    const data = this.backend.upload(this.raw(name, shape));
    this.parameters.add(name, data, shape);
    return data;
  }

  /** The tensor's data as in the checkpoint (not uploaded), for builders that rearrange it first. */
  raw(name: string, shape: Shape): Float32Array {
    return this.lookup(name, shape).data;
  }

  /** The tensor, checked to exist and have exactly `shape`, and marked as used. */
  private lookup(name: string, shape: Shape): Tensor {
    const tensor = this.tensors.get(name) ?? this.initialized(name, shape);
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
    return tensor;
  }

  private readonly created = new Map<string, Tensor>();

  private initialized(name: string, shape: Shape): Tensor | undefined {
    if (this.initializer === null) return undefined;
    const count = numel(shape);
    if (!Number.isSafeInteger(count) || count > MAX_CREATED_ELEMENTS) {
      throw new ModelFormatError(this.source, `creating it with shape ${shapeString(shape)} would take ${(4 * count / 2 ** 30).toFixed(1)} GiB (the config's sizes are too large)`, name);
    }
    let tensor = this.created.get(name);
    if (tensor === undefined) {
      tensor = { data: this.initializer(name, shape), shape: [...shape] };
      this.created.set(name, tensor);
    }
    return tensor;
  }

  /** A [rows, cols] weight matrix in nn.Linear layout (prebuilt ones in their own storage type), uploaded to the backend. */
  matrix(name: string, rows: number, cols: number): WeightMatrix {
    const tensor = this.lookup(name, [rows, cols]);
    if ("matrix" in tensor) return this.backend.uploadMatrix((tensor as PrebuiltMatrixTensor).matrix);
    const matrix = this.backend.uploadMatrix(f32Matrix(tensor.data, rows, cols));
    if (matrix.type === "f32") this.parameters.add(name, matrix.data, [rows, cols]);
    return matrix;
  }


  /**
   * The row windows [first, first + parts[i]) of a matrix [Σ parts, cols] (a fused
   * projection), each sharing the checkpoint's storage: a float32 matrix is placed
   * once and registered whole as the parameter; a quantized one is cut before it is
   * placed, so each part lives in the backend's own layout.
   */
  matrixRows(name: string, parts: readonly number[], cols: number): WeightMatrix[] {
    const rows = parts.reduce((a, b) => a + b, 0);
    const tensor = this.lookup(name, [rows, cols]);
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((a, b) => a + b, 0));
    if ("matrix" in tensor) {
      const matrix = (tensor as PrebuiltMatrixTensor).matrix;
      return parts.map((count, i) => this.backend.uploadMatrix(rowWindow(matrix, starts[i]!, count)));
    }
    const whole = this.backend.upload(tensor.data);
    this.parameters.add(name, whole, [rows, cols]);
    return parts.map((count, i) => rowWindow(f32Matrix(whole, rows, cols), starts[i]!, count));
  }

  /**
   * Throws if a tensor was neither taken nor matched by `ignorable` (buffers such as
   * masks or inv_freq, a copy of a tied head); returns the ignorable ones the
   * checkpoint has, for a warning that lists them.
   */
  assertAllUsed(ignorable: RegExp | null = null): string[] {
    const unused = [...this.tensors.keys()].filter((n) => !this.used.has(n));
    const unexplained = unused.filter((n) => !(ignorable?.test(n) ?? false));
    if (unexplained.length > 0) {
      const shown = unexplained.slice(0, 5).join(", ");
      const more = unexplained.length > 5 ? ` and ${unexplained.length - 5} more` : "";
      throw new ModelFormatError(
        this.source,
        `unexpected tensors for this architecture: ${shown}${more} (is config.json's model_type right?)`,
      );
    }
    return unused;
  }
}
