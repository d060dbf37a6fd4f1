// The autograd ops and AdamW against the PyTorch training step of every GPT-2
// fixture (../shared/fixtures, "Training step"): loss, every gradient, every
// parameter after one AdamW step, and the loss after three more steps. The model
// here is test-only, written directly with the ops (the library's model modules
// record on the tape once the lead integrates it); Conv1D weights stay in their
// HF [in, out] layout and are transposed on the tape, so gradients come out in
// the stored layout. Run in float64 (as the reference was) with tight bounds, and
// in float32 through the js Backend with the fixtures' recommended tolerances.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  Parameter,
  Tape,
  add,
  attention,
  backendTapeKernels,
  crossEntropy,
  embedding,
  float64TapeKernels,
  gelu,
  layerNorm,
  linear,
  splitColumns,
  transpose,
  type TapeKernels,
  type Variable,
} from "../../src/autograd/index.js";
import { jsBackend } from "../../src/backend/js/index.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import type { FloatArray } from "../../src/tensor/tensor.js";
import { AdamW } from "../../src/training/adamw.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface TrainStepCase {
  name: string;
  kind: string;
  inputs: { input_ids: number[][]; targets: number[][] };
  loss: { value: number };
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  gradients: Record<string, ArrayRef>;
  params_after_step1: Record<string, ArrayRef>;
  loss_trajectory: { values: number[] };
}
interface Gpt2Config {
  n_layer: number;
  n_head: number;
  n_embd: number;
  layer_norm_epsilon: number;
}

const FIXTURES = join(SHARED, "fixtures/models");
const index = readJson<{ models: { model: string; model_type: string; cases: string[] }[] }>(join(FIXTURES, "index.json"));

/** GPT-2 (nanoGPT model.py / HF GPT2LMHeadModel) on the tape: mean next-token loss of a batch. */
function gpt2Loss<A extends FloatArray>(
  tape: Tape<A>,
  p: Map<string, Parameter<A>>,
  config: Gpt2Config,
  ids: number[][],
  targets: number[][],
): Variable<A> {
  const { n_layer: layers, n_head: nHeads, n_embd: dim, layer_norm_epsilon: eps } = config;
  const w = (name: string) => p.get(name)!;
  const conv1d = (x: Variable<A>, prefix: string) => linear(tape, x, transpose(tape, w(`${prefix}.weight`)), w(`${prefix}.bias`));
  const batch = ids.length;
  const seq = ids[0]!.length;
  const positions = ids.flatMap((row) => row.map((_, t) => t));
  let x = add(tape, embedding(tape, w("transformer.wte.weight"), ids.flat()), embedding(tape, w("transformer.wpe.weight"), positions)); // [batch·seq, dim]
  for (let l = 0; l < layers; l++) {
    const h = `transformer.h.${l}`;
    const normed1 = layerNorm(tape, x, w(`${h}.ln_1.weight`), w(`${h}.ln_1.bias`), eps);
    const [q, k, v] = splitColumns(tape, conv1d(normed1, `${h}.attn.c_attn`), [dim, dim, dim]); // 3 × [batch·seq, dim]
    const context = attention(tape, q!, k!, v!, { nHeads, nKvHeads: nHeads, headDim: dim / nHeads, causal: true, batch });
    x = add(tape, x, conv1d(context, `${h}.attn.c_proj`));
    const normed2 = layerNorm(tape, x, w(`${h}.ln_2.weight`), w(`${h}.ln_2.bias`), eps);
    x = add(tape, x, conv1d(gelu(tape, conv1d(normed2, `${h}.mlp.c_fc`), "tanh"), `${h}.mlp.c_proj`));
  }
  const final = layerNorm(tape, x, w("transformer.ln_f.weight"), w("transformer.ln_f.bias"), eps);
  const logits = linear(tape, final, w("transformer.wte.weight"), null); // [batch·seq, vocab], tied head
  assert.equal(logits.size, batch * seq * p.get("transformer.wte.weight")!.shape[0]!);
  return crossEntropy(tape, logits, targets.flat());
}

const PRECISIONS = [
  {
    name: "float64",
    kernels: float64TapeKernels as TapeKernels<FloatArray>,
    widen: (d: Float32Array): FloatArray => Float64Array.from(d),
    lossAtol: 1e-9,
    gradientBound: (maxRef: number) => 1e-9 + 1e-6 * maxRef, // the stored values' float32 rounding
    paramAtol: () => 1e-6,
  },
  {
    name: "float32",
    kernels: backendTapeKernels(jsBackend) as TapeKernels<FloatArray>,
    widen: (d: Float32Array): FloatArray => Float32Array.from(d),
    lossAtol: 1e-5,
    gradientBound: (maxRef: number) => 1e-5 + 1e-4 * maxRef, // the fixtures' recommended check
    paramAtol: (gRef: number) => (Math.abs(gRef) >= 1e-6 ? 1e-6 : 1e-3), // ill-conditioned elements: atol lr
  },
];

for (const entry of index.models.filter((m) => m.model_type === "gpt2" && m.cases.includes("train_step"))) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const manifest = readJson<{ cases: TrainStepCase[] }>(join(reference, "manifest.json"));
  const c = manifest.cases.find((x) => x.kind === "train_step")!;
  const config = readJson<Gpt2Config>(join(dir, "config.json"));

  for (const precision of PRECISIONS) {
    test(`${entry.model} train_step in ${precision.name}: loss, gradients, AdamW step, loss trajectory`, async () => {
      const weights = await readSafetensors(join(dir, "model.safetensors"));
      const params = new Map<string, Parameter<FloatArray>>();
      for (const [name, t] of weights.tensors) params.set(name, new Parameter(name, precision.widen(t.data), t.shape));
      assert.deepEqual([...params.keys()].sort(), Object.keys(c.gradients).sort(), "one parameter per stored gradient");
      const tape = new Tape(precision.kernels);
      const { lr, betas, eps, weight_decay } = c.optimizer;
      const optimizer = new AdamW<FloatArray>(params.values(), { lr, betas, eps, weightDecay: weight_decay });

      const loss = gpt2Loss(tape, params, config, c.inputs.input_ids, c.inputs.targets);
      assert.ok(Math.abs(loss.data[0]! - c.loss.value) <= precision.lossAtol, `loss ${loss.data[0]} vs ${c.loss.value}`);
      tape.backward(loss);
      const failures: string[] = [];
      for (const [name, ref] of Object.entries(c.gradients)) {
        const expected = readF32(join(reference, ref.file));
        const grad = params.get(name)!.grad!;
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(grad[i]! - expected[i]!));
        const bound = precision.gradientBound(maxAbs(expected));
        if (!(worst <= bound)) failures.push(`grad ${name}: max |Δ| ${worst.toExponential(2)} > ${bound.toExponential(2)}`);
      }

      optimizer.step();
      for (const [name, ref] of Object.entries(c.params_after_step1)) {
        const expected = readF32(join(reference, ref.file));
        const gradRef = readF32(join(reference, c.gradients[name]!.file));
        const data = params.get(name)!.data;
        for (let i = 0; i < expected.length; i++) {
          const atol = precision.paramAtol(gradRef[i]!);
          if (!(Math.abs(data[i]! - expected[i]!) <= atol)) {
            failures.push(`param ${name}[${i}] after step 1: ${data[i]} vs ${expected[i]} (atol ${atol})`);
            break;
          }
        }
      }
      assert.deepEqual(failures, []);

      const trajectory = [loss.data[0]!];
      for (let step = 1; step < c.loss_trajectory.values.length; step++) {
        optimizer.zeroGrad();
        const next = gpt2Loss(tape, params, config, c.inputs.input_ids, c.inputs.targets);
        trajectory.push(next.data[0]!);
        tape.backward(next);
        optimizer.step();
      }
      trajectory.forEach((value, i) =>
        assert.ok(Math.abs(value - c.loss_trajectory.values[i]!) <= precision.lossAtol, `loss after ${i} steps: ${value} vs ${c.loss_trajectory.values[i]}`),
      );
    });
  }
}
