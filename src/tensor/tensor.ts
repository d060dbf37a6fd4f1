// The tensor type: a float32 buffer with a row-major shape. Activations are
// always f32; weights of other storage types (f16/bf16 converted on load,
// quantized blocks later) live behind the backend's weight types.

export type Shape = readonly number[];

/** A float buffer of either width: float32 for the engine, float64 for gradient checks of the reference kernels. */
export type FloatArray = Float32Array | Float64Array;

/** A dense row-major float32 tensor. `data.length === product(shape)`. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(data: Float32Array, shape: Shape): Tensor {
  const n = numel(shape);
  if (data.length !== n) {
    throw new RangeError(`tensor data has ${data.length} elements but shape [${shape.join(", ")}] needs ${n}`);
  }
  return { data, shape: [...shape] };
}

export function zeros(shape: Shape): Tensor {
  return { data: new Float32Array(numel(shape)), shape: [...shape] };
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Tensors by name, as a checkpoint holds them (data already widened to f32). */
export type NamedTensors = ReadonlyMap<string, Tensor>;
