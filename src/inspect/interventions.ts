// Interventions at the capture points, for every architecture at once: ablating
// attention heads (their outputs before the output projection, attn.z), MLP
// neurons (mlp.post), or a whole sub-layer's contribution (attn_out, mlp_out) —
// set to zero or to their mean over a reference run — and activation patching:
// replacing a point's value with the one recorded from another input's run.

import { InputError } from "../errors.js";
import type { CapturedValue, CapturePoint, ForwardObserver } from "../nn/observer.js";
import { captureName, selectCaptureSites } from "./capture-names.js";
import type { CapturedArray } from "./recorder.js";

export type AblationMode = "zero" | "mean";

export type Intervention =
  /** Heads of a layer: their attn.z slices set to zero or their mean. */
  | { readonly ablate: "heads"; readonly layer: number; readonly heads: readonly number[]; readonly mode?: AblationMode }
  /** MLP hidden units ("neurons") of a layer, in mlp.post. */
  | { readonly ablate: "neurons"; readonly layer: number; readonly neurons: readonly number[]; readonly mode?: AblationMode }
  /** A whole sub-layer's contribution to the residual stream (attn_out or mlp_out). */
  | { readonly ablate: "attention" | "mlp"; readonly layer: number; readonly mode?: AblationMode }
  /**
   * A capture point's value replaced by `value`, recorded at the same point of another
   * run ([batch, seq, width] as the recorder returns it; a single row serves every
   * sequence), at `positions` (default: all the positions both runs have).
   */
  | { readonly patch: string; readonly value: CapturedArray; readonly positions?: readonly number[] };

/** Model sizes the interventions are checked against. */
export interface InterventionShape {
  readonly layers: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly hasFinalNorm: boolean;
}

interface Edit {
  readonly layer: number;
  readonly point: CapturePoint;
  /** Floats edited in each row: [start, end) pairs; null = the whole row. */
  readonly spans: readonly (readonly [number, number])[] | null;
  readonly mode: AblationMode | "patch";
  readonly patch?: CapturedArray;
  readonly positions?: ReadonlySet<number>;
}

/** The capture points whose mean over a reference run a set of interventions needs. */
export function meanPoints(interventions: readonly Intervention[]): { layer: number; point: CapturePoint }[] {
  return interventions.filter((i) => "ablate" in i && i.mode === "mean").map((i) => target(i as Exclude<Intervention, { patch: string }>));
}

function target(i: Exclude<Intervention, { patch: string }>): { layer: number; point: CapturePoint } {
  const point: CapturePoint = i.ablate === "heads" ? "attn.z" : i.ablate === "neurons" ? "mlp.post" : i.ablate === "attention" ? "attn_out" : "mlp_out";
  return { layer: i.layer, point };
}

export class InterventionObserver implements ForwardObserver {
  private readonly edits: Edit[];
  private readonly byPoint = new Set<string>();
  private readonly means: ReadonlyMap<string, Float32Array>;
  /** The sequence of the batch being run. */
  private sequence = 0;

  /** `means` [1, 1, width] per capture name: the mean values "mean" ablations use. */
  constructor(interventions: readonly Intervention[], shape: InterventionShape, means: ReadonlyMap<string, Float32Array> = new Map()) {
    if (!Array.isArray(interventions)) throw new InputError("interventions must be an array");
    this.edits = interventions.map((i) => editOf(i, shape));
    for (const edit of this.edits) {
      this.byPoint.add(`${edit.layer}:${edit.point}`);
      if (edit.mode === "mean" && !means.has(captureName(edit))) throw new InputError(`no mean value for ${captureName(edit)}`);
    }
    this.means = means;
  }

  beginSequence(index: number): void {
    this.sequence = index;
  }

  wants(layer: number, point: CapturePoint): boolean {
    return this.byPoint.has(`${layer}:${point}`);
  }

  visit(layer: number, point: CapturePoint, value: CapturedValue): void {
    const { data, rows, width, position } = value;
    for (const edit of this.edits) {
      if (edit.layer !== layer || edit.point !== point) continue;
      for (let r = 0; r < rows; r++) {
        const at = position + r;
        if (edit.positions !== undefined && !edit.positions.has(at)) continue;
        const row = data.subarray(r * width, (r + 1) * width);
        const spans = edit.spans ?? [[0, width]];
        if (edit.mode === "patch") {
          const source = patchRow(edit.patch!, this.sequence, at, width, captureName(edit));
          if (source === null) continue;
          for (const [a, b] of spans) row.set(source.subarray(a, b), a);
        } else if (edit.mode === "mean") {
          const mean = this.means.get(captureName(edit))!;
          for (const [a, b] of spans) row.set(mean.subarray(a, b), a);
        } else {
          for (const [a, b] of spans) row.fill(0, a, b);
        }
      }
    }
  }
}

/** Row `position` of sequence `sequence` of a recorded value (the single recorded sequence serves all), or null past its end. */
function patchRow(value: CapturedArray, sequence: number, position: number, width: number, name: string): Float32Array | null {
  const [batch, seq, recordedWidth] = value.shape as [number, number, number];
  if (value.shape.length !== 3 || recordedWidth !== width) {
    throw new InputError(`the patch for ${name} has shape [${value.shape.join(", ")}], expected [batch, seq, ${width}]`);
  }
  if (position >= seq) return null;
  const b = batch === 1 ? 0 : sequence;
  if (b >= batch) throw new InputError(`the patch for ${name} holds ${batch} sequences, not ${sequence + 1}`);
  const at = (b * seq + position) * width;
  return value.data.subarray(at, at + width);
}

function editOf(i: Intervention, shape: InterventionShape): Edit {
  if (typeof i !== "object" || i === null) throw new InputError("an intervention is an object such as { ablate: \"heads\", layer: 0, heads: [1] }");
  if ("patch" in i) {
    const [site] = selectCaptureSites([i.patch], shape.layers, shape.hasFinalNorm);
    if (site === undefined || i.patch.includes("*")) throw new InputError(`patch names one capture point, got "${i.patch}"`);
    if (site.point === "attn.pattern") throw new InputError("attention patterns are read only: patch attn.z or attn_out instead");
    const positions = i.positions === undefined ? undefined : new Set(checkIndices(i.positions, Number.MAX_SAFE_INTEGER, "positions"));
    return { layer: site.layer, point: site.point, spans: null, mode: "patch", patch: i.value, ...(positions === undefined ? {} : { positions }) };
  }
  const mode = i.mode ?? "zero";
  if (mode !== "zero" && mode !== "mean") throw new InputError(`ablation mode "${String(mode)}" is unknown (zero or mean)`);
  if (!Number.isInteger(i.layer) || i.layer < 0 || i.layer >= shape.layers) {
    throw new InputError(`layer ${String(i.layer)} does not exist (the model has layers 0…${shape.layers - 1})`);
  }
  const { layer, point } = target(i);
  switch (i.ablate) {
    case "heads": {
      const heads = checkIndices(i.heads, shape.numHeads, "heads");
      return { layer, point, spans: heads.map((h) => [h * shape.headDim, (h + 1) * shape.headDim] as const), mode };
    }
    case "neurons": {
      const neurons = checkIndices(i.neurons, shape.intermediateSize, "neurons");
      return { layer, point, spans: neurons.map((n) => [n, n + 1] as const), mode };
    }
    case "attention":
    case "mlp":
      return { layer, point, spans: null, mode };
    default:
      throw new InputError(`unknown intervention ${JSON.stringify(i)}: ablate "heads", "neurons", "attention" or "mlp", or patch a capture point`);
  }
}

function checkIndices(indices: readonly number[] | undefined, bound: number, what: string): number[] {
  if (!Array.isArray(indices) || indices.length === 0) throw new InputError(`${what} must be a non-empty list of indices`);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= bound) throw new InputError(`${what}: ${String(i)} is outside [0, ${bound})`);
  }
  return [...indices];
}
