// A Variable: a tensor the tape can differentiate through (micrograd's Value, for
// whole buffers). `data` is the value, `grad` the accumulated ∂loss/∂data, null
// until backward first reaches it. A Parameter is a named leaf that an optimizer
// updates; its name is the key of its optimizer state in a checkpoint.

import { numel, shapeString, type FloatArray, type Shape } from "../tensor/tensor.js";

export class Variable<A extends FloatArray = Float32Array> {
  /** ∂loss/∂data, same length as data; null until a backward pass reaches this variable. */
  grad: A | null = null;

  constructor(
    readonly data: A,
    readonly shape: Shape,
    /** Whether gradients flow to this variable (parameters, and every op output that depends on one). */
    readonly requiresGrad: boolean = false,
    readonly name?: string,
  ) {
    const n = numel(shape);
    if (data.length !== n) {
      throw new RangeError(
        `${name === undefined ? "variable" : `variable "${name}"`} has ${data.length} elements but shape ${shapeString(shape)} needs ${n}`,
      );
    }
  }

  get size(): number {
    return this.data.length;
  }
}

/** A trainable leaf: requires gradients, and has a name (its HF tensor name, for checkpoints). */
export class Parameter<A extends FloatArray = Float32Array> extends Variable<A> {
  declare readonly name: string;

  constructor(name: string, data: A, shape: Shape) {
    super(data, shape, true, name);
  }
}

/** A leaf that needs no gradient: token inputs, masks, constants. */
export function constant<A extends FloatArray>(data: A, shape: Shape = [data.length], name?: string): Variable<A> {
  return new Variable(data, shape, false, name);
}
