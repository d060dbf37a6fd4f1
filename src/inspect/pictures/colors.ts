// The colour scales every picture and the inspector page share, from d3's
// perceptually ordered ColorBrewer schemes (d3-scale-chromatic): attention
// weights and probabilities in blues (white = 0, dark = 1), surprisal from
// yellow (expected) to red (surprising), and the per-level lookup tables the
// page's canvases paint with.

import { interpolateBlues, interpolateYlOrRd } from "d3-scale-chromatic";

/** A colour for t in [0, 1] (clamped), as #rrggbb. */
export type ColorScale = (t: number) => string;

function hexScale(interpolate: (t: number) => string): ColorScale {
  return (t) => {
    const [r, g, b] = rgbOf(interpolate(Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0));
    return `#${[r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
  };
}

/** Attention weights (0 … 1). */
export const attentionColor: ColorScale = hexScale(interpolateBlues);
/** Probabilities (0 … 1). */
export const probabilityColor: ColorScale = hexScale(interpolateBlues);
/** Surprisal as a fraction of its scale's maximum (0 = certain, 1 = as surprising as the scale goes). */
export const surprisalColor: ColorScale = hexScale(interpolateYlOrRd);

/** The colour for a surprisal in bits, on a scale that ends at the uniform distribution's log₂(vocab). */
export function surprisalFill(bits: number, vocabSize: number): string {
  return surprisalColor(bits / Math.log2(Math.max(2, vocabSize)));
}

/** [r, g, b] of "#rrggbb" or "rgb(r, g, b)". */
export function rgbOf(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (hex !== null) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color);
  if (rgb !== null) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new RangeError(`not a colour: ${color}`);
}

/** RGBA bytes of `levels` evenly spaced colours of a scale: [levels × 4] (the canvases' palette). */
export function colorTable(scale: ColorScale, levels = 256): Uint8ClampedArray {
  const table = new Uint8ClampedArray(levels * 4);
  for (let i = 0; i < levels; i++) {
    table.set([...rgbOf(scale(i / (levels - 1))), 255], i * 4);
  }
  return table;
}

/** Black or white, whichever reads better on `background` (WCAG relative luminance). */
export function textColorOn(background: string): "#000000" | "#ffffff" {
  const [r, g, b] = rgbOf(background).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? "#000000" : "#ffffff";
}
