// The trainable parameters of a model, by Hugging Face tensor name, each sharing
// its storage with the module that computes with it. Modules hold plain arrays
// (for inference); when they record on a tape they look up the Parameter their
// array belongs to — a bias window of GPT-2's fused c_attn finds c_attn.bias and
// its offset, a tied LM head finds the token embedding.

import { Parameter, Variable } from "../autograd/variable.js";
import { InputError } from "../errors.js";
import type { Shape } from "../tensor/tensor.js";

export interface ParameterSlice {
  /** The parameter, or a gradient-free view of it while the index is frozen. */
  readonly variable: Variable;
  /** Element offset of the looked-up array inside the parameter's storage. */
  readonly offset: number;
}

export class ParameterIndex {
  private readonly byName = new Map<string, Parameter>();
  private readonly located = new WeakMap<Float32Array, { parameter: Parameter; offset: number }>();
  private readonly constants = new Map<Parameter, Variable>();
  /** While frozen, lookups hand out the parameters as constants: no gradient reaches them (LoRA's frozen base). */
  frozen = false;

  /** Registers storage under an HF name; registering the same array again is a no-op. */
  add(name: string, data: Float32Array, shape: Shape): void {
    const existing = this.byName.get(name);
    if (existing !== undefined) {
      if (existing.data !== data) throw new RangeError(`parameter "${name}" registered twice with different storage`);
      return;
    }
    this.byName.set(name, new Parameter(name, data, shape));
  }

  get size(): number {
    return this.byName.size;
  }

  /** Parameters in registration order (the order the model builds its modules). */
  named(): [string, Parameter][] {
    return [...this.byName];
  }

  get(name: string): Parameter | undefined {
    return this.byName.get(name);
  }

  /** The parameter whose storage holds `view` (a constant view of it while frozen), and where. */
  locate(view: Float32Array): ParameterSlice {
    const { parameter, offset } = this.find(view);
    return { variable: this.frozen ? this.constantOf(parameter) : parameter, offset };
  }

  /** The parameter (or its frozen view) that is exactly `data`, not a window of a larger one. */
  whole(data: Float32Array): Variable {
    const { parameter, offset } = this.find(data);
    if (offset !== 0 || parameter.data.length !== data.length) {
      throw new RangeError(`array is a window of parameter "${parameter.name}", not the whole of it`);
    }
    return this.frozen ? this.constantOf(parameter) : parameter;
  }

  /** The HF name of the parameter whose storage holds `view`. */
  nameOf(view: Float32Array): string {
    return this.find(view).parameter.name;
  }

  private find(view: Float32Array): { parameter: Parameter; offset: number } {
    const cached = this.located.get(view);
    if (cached !== undefined) return cached;
    for (const parameter of this.byName.values()) {
      const data = parameter.data;
      if (data.buffer !== view.buffer) continue;
      const offset = (view.byteOffset - data.byteOffset) / data.BYTES_PER_ELEMENT;
      if (offset >= 0 && offset + view.length <= data.length && Number.isInteger(offset)) {
        const found = { parameter, offset };
        this.located.set(view, found);
        return found;
      }
    }
    throw new InputError("this module's weights are not trainable parameters (quantized or derived weights cannot be trained)");
  }

  private constantOf(parameter: Parameter): Variable {
    let constant = this.constants.get(parameter);
    if (constant === undefined) {
      constant = new Variable(parameter.data, parameter.shape, false, parameter.name);
      this.constants.set(parameter, constant);
    }
    return constant;
  }
}
