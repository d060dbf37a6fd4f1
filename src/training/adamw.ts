// AdamW (Loshchilov & Hutter 2019) exactly as torch.optim.AdamW computes it
// (torch 1.13 _single_tensor_adamw, amsgrad off), per element, at step t of each
// parameter:
//   p *= 1 − lr·wd                              (decoupled weight decay)
//   m  = b1·m + (1 − b1)·g
//   v  = b2·v + (1 − b2)·g²
//   p -= lr/(1 − b1^t) · m / (√v / √(1 − b2^t) + eps)
// Parameter groups carry their own options (e.g. weightDecay 0 for norms, biases
// and embeddings). The per-element update is an optimizer kernel
// (backend/optimizer.ts): the float64 reference by default, the WASM backend's
// SIMD one for models on it (then the moments live in its memory too). A parameter without a gradient is skipped and its step count
// does not advance, as torch does. The state (exp_avg, exp_avg_sq and step of
// each parameter, torch's names) exports as named Float32Arrays for a checkpoint.

import { Variable, type Parameter } from "../autograd/variable.js";
import { jsOptimizerKernels } from "../backend/js/optimizer.js";
import type { OptimizerKernels } from "../backend/optimizer.js";
import type { FloatArray } from "../tensor/tensor.js";

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** Parameters sharing options; options left out take the optimizer's. */
export interface AdamWParamGroupSpec<A extends FloatArray = Float32Array> extends Partial<AdamWOptions> {
  params: Iterable<Parameter<A>>;
}

/** A group as the optimizer holds it; change lr (or the others) between steps to schedule them. */
export interface AdamWParamGroup<A extends FloatArray = Float32Array> extends AdamWOptions {
  readonly params: readonly Parameter<A>[];
}

/** Optimizer state: `<name>.exp_avg`, `<name>.exp_avg_sq` and `<name>.step` ([1]) for each parameter stepped so far. */
export interface AdamWState {
  /** Number of step() calls. */
  step: number;
  tensors: Map<string, Float32Array>;
}

interface ParameterState<A extends FloatArray> {
  step: number;
  expAvg: A;
  expAvgSq: A;
}

export class AdamW<A extends FloatArray = Float32Array> {
  readonly paramGroups: AdamWParamGroup<A>[];
  /** Number of step() calls. */
  stepCount = 0;
  private readonly state = new Map<Parameter<A>, ParameterState<A>>();

  constructor(
    params: Iterable<Parameter<A>> | Iterable<AdamWParamGroupSpec<A>>,
    options: AdamWOptions,
    /** The kernels of the update (default: the js reference; a backend's optimizerKernels() for its models). */
    private readonly kernels: OptimizerKernels<A> = jsOptimizerKernels as OptimizerKernels<A>,
  ) {
    validateOptions(options, "AdamW");
    const items = Array.from(params as Iterable<Parameter<A> | AdamWParamGroupSpec<A>>);
    const specs: AdamWParamGroupSpec<A>[] =
      items.length > 0 && !(items[0] instanceof Variable)
        ? (items as AdamWParamGroupSpec<A>[])
        : [{ params: items as Parameter<A>[] }];
    const seen = new Set<Parameter<A>>();
    const names = new Set<string>();
    this.paramGroups = specs.map((spec, g) => {
      const { params: groupParams, ...overrides } = spec;
      const group: AdamWParamGroup<A> = { ...options, ...definedOnly(overrides), params: Array.from(groupParams) };
      validateOptions(group, `AdamW parameter group ${g}`);
      for (const p of group.params) {
        if (!(p instanceof Variable) || !p.requiresGrad) throw new RangeError(`AdamW parameter group ${g}: every entry must be a Parameter`);
        if (seen.has(p)) throw new RangeError(`AdamW: parameter "${p.name}" appears more than once`);
        if (names.has(p.name)) throw new RangeError(`AdamW: two parameters are named "${p.name}"; state names must be unique`);
        seen.add(p);
        names.add(p.name);
      }
      return group;
    });
  }

  /** Sets the learning rate of every group (a schedule's value for this step). */
  setLearningRate(lr: number): void {
    for (const group of this.paramGroups) group.lr = lr;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay } = group;
      const [beta1, beta2] = group.betas;
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        const state = this.stateOf(p);
        state.step++;
        const biasCorrection1 = 1 - beta1 ** state.step;
        const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
        const scalars = { beta1, beta2, eps, stepSize: lr / biasCorrection1, decay: 1 - lr * weightDecay, biasCorrection2Sqrt };
        this.kernels.adamwStep(p.data, grad, state.expAvg, state.expAvgSq, p.size, scalars);
      }
    }
  }

  /** Drops every parameter's gradient (torch zero_grad(set_to_none=True)): the next backward starts from zero. */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.grad = null;
  }

  /** The state for a checkpoint (copies, as float32). */
  exportState(): AdamWState {
    const tensors = new Map<string, Float32Array>();
    for (const [p, s] of this.state) {
      tensors.set(`${p.name}.exp_avg`, Float32Array.from(s.expAvg));
      tensors.set(`${p.name}.exp_avg_sq`, Float32Array.from(s.expAvgSq));
      tensors.set(`${p.name}.step`, Float32Array.of(s.step));
    }
    return { step: this.stepCount, tensors };
  }

  /** Restores exportState's output. Every tensor must belong to a parameter of this optimizer and fit it. */
  importState(saved: AdamWState): void {
    const byName = new Map<string, Parameter<A>>();
    for (const group of this.paramGroups) for (const p of group.params) byName.set(p.name, p);
    const suffixes = [".exp_avg_sq", ".exp_avg", ".step"];
    for (const key of saved.tensors.keys()) {
      const suffix = suffixes.find((s) => key.endsWith(s));
      if (suffix === undefined || !byName.has(key.slice(0, -suffix.length))) {
        throw new RangeError(`AdamW state: tensor "${key}" does not belong to any parameter of this optimizer`);
      }
    }
    const restored = new Map<Parameter<A>, ParameterState<A>>();
    for (const [name, p] of byName) {
      const expAvg = saved.tensors.get(`${name}.exp_avg`);
      const expAvgSq = saved.tensors.get(`${name}.exp_avg_sq`);
      const step = saved.tensors.get(`${name}.step`);
      if (expAvg === undefined && expAvgSq === undefined && step === undefined) continue; // not stepped yet
      for (const [suffix, tensor, length] of [[".exp_avg", expAvg, p.size], [".exp_avg_sq", expAvgSq, p.size], [".step", step, 1]] as const) {
        if (tensor === undefined) throw new RangeError(`AdamW state: tensor "${name}${suffix}" is missing`);
        if (tensor.length !== length) {
          throw new RangeError(`AdamW state: tensor "${name}${suffix}" has ${tensor.length} elements, expected ${length}`);
        }
      }
      const state = this.freshState(p);
      state.expAvg.set(expAvg!);
      state.expAvgSq.set(expAvgSq!);
      state.step = step![0]!;
      restored.set(p, state);
    }
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
    this.stepCount = saved.step;
  }

  private stateOf(p: Parameter<A>): ParameterState<A> {
    let state = this.state.get(p);
    if (state === undefined) {
      state = this.freshState(p);
      this.state.set(p, state);
    }
    return state;
  }

  /** Moments zeroed, of the parameter's own float width, where the kernels place them. */
  private freshState(p: Parameter<A>): ParameterState<A> {
    const zeroed = (): A => this.kernels.allocate?.(p.size) ?? (p.data.slice().fill(0) as A);
    return { step: 0, expAvg: zeroed(), expAvgSq: zeroed() };
  }
}

function definedOnly(overrides: Partial<AdamWOptions>): Partial<AdamWOptions> {
  return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<AdamWOptions>;
}

function validateOptions(o: AdamWOptions, where: string): void {
  const problems: string[] = [];
  if (!(o.lr >= 0)) problems.push(`lr ${o.lr} must be ≥ 0`);
  if (!(o.eps >= 0)) problems.push(`eps ${o.eps} must be ≥ 0`);
  if (!(o.weightDecay >= 0)) problems.push(`weightDecay ${o.weightDecay} must be ≥ 0`);
  if (!Array.isArray(o.betas) || o.betas.length !== 2 || !o.betas.every((b) => b >= 0 && b < 1)) {
    problems.push(`betas ${JSON.stringify(o.betas)} must be two numbers in [0, 1)`);
  }
  if (problems.length > 0) throw new RangeError(`${where}: ${problems.join("; ")}`);
}
