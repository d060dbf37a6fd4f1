// Learning-rate schedule of nanoGPT train.py `get_lr`: linear warmup for
// warmupIters iterations, then cosine decay to minLearningRate at lrDecayIters,
// constant after:
//   it < warmup:       lr · (it + 1) / (warmup + 1)
//   it > decayIters:   minLr
//   otherwise:         minLr + ½(1 + cos(π · (it − warmup)/(decayIters − warmup))) · (lr − minLr)

export interface CosineScheduleOptions {
  learningRate: number;
  minLearningRate: number;
  warmupIters: number;
  lrDecayIters: number;
}

/** The learning rate of iteration `iteration` (0-based). */
export function cosineWithWarmup(iteration: number, options: CosineScheduleOptions): number {
  const { learningRate, minLearningRate, warmupIters, lrDecayIters } = options;
  if (lrDecayIters <= warmupIters) {
    throw new RangeError(`lr schedule: lrDecayIters ${lrDecayIters} must exceed warmupIters ${warmupIters}`);
  }
  if (iteration < warmupIters) return (learningRate * (iteration + 1)) / (warmupIters + 1);
  if (iteration > lrDecayIters) return minLearningRate;
  const decayRatio = (iteration - warmupIters) / (lrDecayIters - warmupIters);
  const coefficient = 0.5 * (1 + Math.cos(Math.PI * decayRatio));
  return minLearningRate + coefficient * (learningRate - minLearningRate);
}
