// An observer that records the chosen capture points of a forward pass over a
// batch of equal-length sequences into whole arrays: position-wise points as
// [batch, seq, width], attention patterns as [batch, heads, seq, seq] (query rows
// × key positions; zero where a query does not look). The model runs each sequence
// chunk by chunk; the recorder places every chunk at its positions.

import type { CapturedValue, CapturePoint, ForwardObserver } from "../nn/observer.js";
import { captureName, type CaptureSite } from "./capture-names.js";

/** A recorded activation: row-major data and its shape. */
export interface CapturedArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export class CaptureRecorder implements ForwardObserver {
  private readonly wanted = new Set<string>();
  private readonly arrays = new Map<string, CapturedArray>();
  /** The sequence of the batch being run. */
  private sequence = 0;

  constructor(
    sites: readonly CaptureSite[],
    readonly batch: number,
    readonly seq: number,
  ) {
    for (const site of sites) this.wanted.add(key(site.layer, site.point));
  }

  beginSequence(index: number): void {
    this.sequence = index;
  }

  wants(layer: number, point: CapturePoint): boolean {
    return this.wanted.has(key(layer, point));
  }

  visit(layer: number, point: CapturePoint, value: CapturedValue): void {
    const name = captureName({ layer, point });
    const { batch, seq } = this;
    if (point === "attn.pattern") {
      const { heads, rows, width: keyCount, position, keyOffset, data } = value;
      const array = this.arrayFor(name, [batch, heads, seq, seq]);
      for (let h = 0; h < heads; h++) {
        for (let r = 0; r < rows; r++) {
          const to = ((this.sequence * heads + h) * seq + position + r) * seq + keyOffset;
          const from = (h * rows + r) * keyCount;
          array.data.set(data.subarray(from, from + Math.min(keyCount, seq - keyOffset)), to);
        }
      }
      return;
    }
    const { rows, width, position, data } = value;
    const array = this.arrayFor(name, [batch, seq, width]);
    array.data.set(data.subarray(0, rows * width), (this.sequence * seq + position) * width);
  }

  /** Everything recorded, by capture name, in forward order. */
  results(): Map<string, CapturedArray> {
    return this.arrays;
  }

  private arrayFor(name: string, shape: number[]): CapturedArray {
    let array = this.arrays.get(name);
    if (array === undefined) {
      array = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
      this.arrays.set(name, array);
    }
    return array;
  }
}

function key(layer: number, point: CapturePoint): string {
  return `${layer}:${point}`;
}

/** Observers run in order at each point (captures after interventions see the changed values). */
export class ObserverChain implements ForwardObserver {
  constructor(private readonly observers: readonly ForwardObserver[]) {}

  beginSequence(index: number): void {
    for (const observer of this.observers) observer.beginSequence?.(index);
  }

  wants(layer: number, point: CapturePoint): boolean {
    return this.observers.some((o) => o.wants(layer, point));
  }

  visit(layer: number, point: CapturePoint, value: CapturedValue): void {
    for (const observer of this.observers) if (observer.wants(layer, point)) observer.visit(layer, point, value);
  }
}

/** Model sizes the memory estimate of captures needs. */
export interface CaptureWidths {
  readonly hiddenSize: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
}

/** Bytes the recorder will hold for `sites` over `batch` sequences of `seq` tokens (float32). */
export function estimateCaptureBytes(sites: readonly CaptureSite[], batch: number, seq: number, widths: CaptureWidths): number {
  let floats = 0;
  for (const { point } of sites) {
    switch (point) {
      case "attn.pattern":
        floats += batch * widths.numHeads * seq * seq;
        break;
      case "attn.z":
        floats += batch * seq * widths.numHeads * widths.headDim;
        break;
      case "mlp.post":
        floats += batch * seq * widths.intermediateSize;
        break;
      default:
        floats += batch * seq * widths.hiddenSize;
    }
  }
  return 4 * floats;
}
