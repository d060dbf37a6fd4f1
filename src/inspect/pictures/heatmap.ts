// A heatmap as SVG paths: values in [0, 1] quantised to a few colour levels, each
// level one <path> whose cells are merged into horizontal runs, in cell units
// scaled into place — a 48 × 48 map costs a few kilobytes instead of 2,304
// rectangles. Cells under half a level stay background.

import type { ColorScale } from "./colors.js";
import { element, formatNumber } from "./svg.js";

export interface HeatmapGeometry {
  readonly x: number;
  readonly y: number;
  readonly cellWidth: number;
  readonly cellHeight: number;
}

/** Paths for values [rows, cols] (row-major) at `geometry`, in `levels` shades of `color`. */
export function heatmapPaths(values: ArrayLike<number>, rows: number, cols: number, geometry: HeatmapGeometry, color: ColorScale, levels = 32): string {
  const runs: string[][] = Array.from({ length: levels + 1 }, () => []);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < cols) {
      const level = levelOf(values[r * cols + c]!, levels);
      let end = c + 1;
      while (end < cols && levelOf(values[r * cols + end]!, levels) === level) end++;
      if (level > 0) runs[level]!.push(`M${c} ${r}h${end - c}v1h${c - end}z`);
      c = end;
    }
  }
  const { x, y, cellWidth, cellHeight } = geometry;
  const paths = runs.map((d, level) => (d.length === 0 ? "" : element("path", { d: d.join(""), fill: color(level / levels) }))).join("");
  return paths === "" ? "" : element("g", { transform: `translate(${formatNumber(x)} ${formatNumber(y)}) scale(${cellWidth.toFixed(4)} ${cellHeight.toFixed(4)})` }, paths);
}

function levelOf(value: number, levels: number): number {
  return Number.isFinite(value) ? Math.min(levels, Math.max(0, Math.round(value * levels))) : 0;
}
