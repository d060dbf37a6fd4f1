// Shape checks shared by the ops: errors name the op, the argument and the shape expected.

import { shapeString, type FloatArray } from "../tensor/tensor.js";
import type { Variable } from "./variable.js";

/** Rows of x seen as [rows, features] (its last dimension must be `features`). */
export function rowsOf<A extends FloatArray>(x: Variable<A>, features: number, op: string, argument: string): number {
  const last = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || last !== features) {
    throw new RangeError(`${op}: ${argument} has shape ${shapeString(x.shape)}, expected a last dimension of ${features}`);
  }
  return x.size / features;
}

export function expectShape<A extends FloatArray>(x: Variable<A>, shape: readonly number[], op: string, argument: string): void {
  if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: ${argument} has shape ${shapeString(x.shape)}, expected ${shapeString(shape)}`);
  }
}

/** The last dimension of x. */
export function lastDim<A extends FloatArray>(x: Variable<A>, op: string, argument: string): number {
  if (x.shape.length === 0) throw new RangeError(`${op}: ${argument} is a scalar, expected at least one dimension`);
  return x.shape[x.shape.length - 1]!;
}
