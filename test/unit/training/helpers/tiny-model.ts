// A tiny trainable model for the training-loop tests, written with the autograd
// ops: token + position embeddings, one GELU layer with dropout, a linear head.
// It has the TrainableModel members the trainer uses (loss, evaluate,
// namedParameters, save), and restores itself from what save wrote. Also the
// small data and configuration the trainer tests share.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Parameter, Tape, add, backendTapeKernels, crossEntropy, dropout, embedding, gelu, linear } from "../../../../src/autograd/index.js";
import { jsBackend } from "../../../../src/backend/js/index.js";
import { Rng } from "../../../../src/tensor/random.js";
import { readSafetensors, writeSafetensors } from "../../../../src/io/safetensors.js";
import { streamRng } from "../../../../src/training/random-streams.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../../../src/training/train-config.js";
import type { Batch, Loss, LossOptions, TrainableModel } from "../../../../src/training/trainable.js";

export class TinyModel implements TrainableModel {
  readonly params: Parameter[];
  private readonly tape = new Tape(backendTapeKernels(jsBackend));

  constructor(
    readonly vocab: number,
    readonly dim: number,
    readonly context: number,
    seed = 1,
  ) {
    const rng = new Rng(seed);
    const normal = (n: number, std: number): Float32Array =>
      Float32Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat()));
    this.params = [
      new Parameter("wte.weight", normal(vocab * dim, 0.2), [vocab, dim]),
      new Parameter("wpe.weight", normal(context * dim, 0.2), [context, dim]),
      new Parameter("fc.weight", normal(dim * dim, 0.2), [dim, dim]),
      new Parameter("fc.bias", new Float32Array(dim), [dim]),
      new Parameter("head.weight", normal(vocab * dim, 0.2), [vocab, dim]),
      new Parameter("head.bias", new Float32Array(vocab), [vocab]),
    ];
  }

  private get(name: string): Parameter {
    return this.params.find((p) => p.name === name)!;
  }

  private forwardLoss(batch: Batch, options: LossOptions) {
    const ids = batch.inputIds.flat();
    const positions = batch.inputIds.flatMap((row) => row.map((_, t) => t));
    const x = add(this.tape, embedding(this.tape, this.get("wte.weight"), ids), embedding(this.tape, this.get("wpe.weight"), positions));
    let h = gelu(this.tape, linear(this.tape, x, this.get("fc.weight"), this.get("fc.bias")), "tanh");
    if ((options.dropout ?? 0) > 0) h = dropout(this.tape, h, options.dropout!, options.random!);
    const logits = linear(this.tape, add(this.tape, h, x), this.get("head.weight"), this.get("head.bias"));
    return crossEntropy(this.tape, logits, batch.targets.flat());
  }

  async loss(batch: Batch, options: LossOptions = {}): Promise<Loss> {
    const value = this.forwardLoss(batch, options);
    const tape = this.tape;
    return { value: value.data[0]!, backward: async () => tape.backward(value) };
  }

  async evaluate(batch: Batch): Promise<number> {
    return this.tape.noGrad(() => this.forwardLoss(batch, {}).data[0]!);
  }

  namedParameters(): [string, Parameter][] {
    return this.params.map((p) => [p.name, p]);
  }

  async save(dir: string): Promise<void> {
    await writeSafetensors(join(dir, "model.safetensors"), this.params.map((p) => ({ name: p.name, shape: p.shape, data: p.data })));
    await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "tiny-test", vocab: this.vocab, dim: this.dim, context: this.context }));
  }

  /** Copies the weights that save wrote into this model. */
  async restore(dir: string): Promise<void> {
    const file = await readSafetensors(join(dir, "model.safetensors"));
    for (const p of this.params) p.data.set(file.tensors.get(p.name)!.data);
  }
}

/** A text with structure to learn: a repeated pattern with some noise. */
export function patternData(length: number, vocab: number, seed = 3): Int32Array {
  const rng = streamRng(seed, 99);
  return Int32Array.from({ length }, (_, i) => (rng.nextFloat() < 0.1 ? Math.floor(rng.nextFloat() * vocab) : (i * 3) % vocab));
}

export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    maxIters: 40,
    batchSize: 4,
    blockSize: 8,
    learningRate: 2e-2,
    minLearningRate: 2e-3,
    warmupIters: 4,
    lrDecayIters: 40,
    evalInterval: 10,
    evalIters: 2,
    checkpointInterval: 15,
    weightDecay: 0.1,
    seed: 5,
    ...overrides,
  };
}
