// What the training loop needs of a model: a differentiable loss of a batch,
// a loss without a tape, its named parameters and a way to save it. The
// LanguageModel returned by loadModel/createModel has exactly these members;
// a LoRA fine-tune passes a view whose parameters are the adapters only and
// whose save writes the adapter.
import type { Parameter } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { Loss, LossOptions } from "./tape-loss.js";

export type { Loss, LossOptions };

/** Rows of equal length: [batch][seq] input ids and the id to predict at each position (−100: not scored). */
export interface Batch {
  readonly inputIds: readonly (readonly number[])[];
  readonly targets: readonly (readonly number[])[];
}

/** B: the batch the model trains on (language-model windows by default; source–target pairs for a seq2seq model). */
export interface TrainableModel<B = Batch> {
  loss(batch: B, options?: LossOptions): Promise<Loss>;
  /** Mean loss over the scored targets, without recording a tape. */
  evaluate(batch: B): Promise<number>;
  /** Trainable parameters by their (HF) tensor names. */
  namedParameters(): [string, Parameter][];
  /** Writes the model (or adapter) files into dir. */
  save(dir: string): Promise<void>;
  /** Where the model computes: the optimizer then runs that backend's kernels (absent: the js reference). */
  readonly backend?: Backend;
}
