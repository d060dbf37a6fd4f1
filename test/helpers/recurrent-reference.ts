// A plain float64 recurrent language model written straight from PyTorch's
// documented equations (nn.RNN tanh, nn.LSTM gates i f g o, nn.GRU gates r z n
// with the reset gate after the recurrent product), one scalar at a time, sharing
// no code with the library: what the kernels, the layers and the model are
// checked against.

export type Cell = "rnn" | "lstm" | "gru";

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Σ_k w[row, k] · x[k] + b[row] over a row-major [rows, cols] w. */
function affine(w: ArrayLike<number>, b: ArrayLike<number> | null, x: ArrayLike<number>, row: number, cols: number): number {
  let s = b === null ? 0 : b[row]!;
  for (let k = 0; k < cols; k++) s += w[row * cols + k]! * x[k]!;
  return s;
}

/** gi = gate inputs x·W_ihᵀ + b_ih, gh = h·W_hhᵀ + b_hh of one row, [gates·H] each. */
export function referenceLstmStep(gi: ArrayLike<number>, gh: ArrayLike<number>, cPrev: ArrayLike<number>, H: number): { h: number[]; c: number[] } {
  const h: number[] = [];
  const c: number[] = [];
  for (let j = 0; j < H; j++) {
    const i = sigmoid(gi[j]! + gh[j]!);
    const f = sigmoid(gi[H + j]! + gh[H + j]!);
    const g = Math.tanh(gi[2 * H + j]! + gh[2 * H + j]!);
    const o = sigmoid(gi[3 * H + j]! + gh[3 * H + j]!);
    c.push(f * cPrev[j]! + i * g);
    h.push(o * Math.tanh(c[j]!));
  }
  return { h, c };
}

export function referenceGruStep(gi: ArrayLike<number>, gh: ArrayLike<number>, hPrev: ArrayLike<number>, H: number): number[] {
  const h: number[] = [];
  for (let j = 0; j < H; j++) {
    const r = sigmoid(gi[j]! + gh[j]!);
    const z = sigmoid(gi[H + j]! + gh[H + j]!);
    const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
    h.push((1 - z) * n + z * hPrev[j]!);
  }
  return h;
}

export interface ReferenceModel {
  cell: Cell;
  vocab: number;
  embeddingDim: number;
  hidden: number;
  layers: number;
  /** by torch name */
  weights: ReadonlyMap<string, ArrayLike<number>>;
}

/** Logits [ids.length, vocab] of one sequence from zero states, and the final h (and c) of every layer. */
export function referenceForward(model: ReferenceModel, ids: readonly number[]): { logits: number[][]; h: number[][]; c: number[][] } {
  const { cell, hidden: H, layers } = model;
  const w = (name: string): ArrayLike<number> | null => model.weights.get(name) ?? null;
  const gates = cell === "rnn" ? 1 : cell === "lstm" ? 4 : 3;
  const h = Array.from({ length: layers }, () => new Array<number>(H).fill(0));
  const c = Array.from({ length: layers }, () => new Array<number>(H).fill(0));
  const logits: number[][] = [];
  const table = w("embedding.weight")!;
  for (const id of ids) {
    let x = Array.from({ length: model.embeddingDim }, (_, k) => table[id * model.embeddingDim + k]!);
    for (let l = 0; l < layers; l++) {
      const inputs = x.length;
      const gi = Array.from({ length: gates * H }, (_, row) => affine(w(`rnn.weight_ih_l${l}`)!, w(`rnn.bias_ih_l${l}`), x, row, inputs));
      const gh = Array.from({ length: gates * H }, (_, row) => affine(w(`rnn.weight_hh_l${l}`)!, w(`rnn.bias_hh_l${l}`), h[l]!, row, H));
      if (cell === "rnn") h[l] = gi.map((v, j) => Math.tanh(v + gh[j]!));
      else if (cell === "gru") h[l] = referenceGruStep(gi, gh, h[l]!, H);
      else ({ h: h[l], c: c[l] } = referenceLstmStep(gi, gh, c[l]!, H));
      x = h[l]!;
    }
    const head = w("lm_head.weight") ?? table;
    logits.push(Array.from({ length: model.vocab }, (_, v) => affine(head, w("lm_head.bias"), x, v, H)));
  }
  return { logits, h, c };
}
