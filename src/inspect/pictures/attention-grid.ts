// The attention grid (BertViz's "model view"): one heatmap per layer and head,
// layers down, heads across; in each map the query runs down and the key
// across, a causal model filling the lower triangle. Long prompts are pooled
// (attention-summary.ts: each cell the largest weight of its block).

import { mostAttendedPrevious, poolAttention } from "../attention-summary.js";
import type { PromptInspection } from "../prompt-inspection.js";
import { displayToken } from "../token-texts.js";
import { attentionColor } from "./colors.js";
import { heatmapPaths } from "./heatmap.js";
import { legend } from "./legend.js";
import { element, svgDocument, text, title } from "./svg.js";

export interface AttentionGridOptions {
  /** Cells per side of a map at most (default 48). */
  readonly maxCells?: number;
}

const MARGIN = { left: 44, top: 58, right: 16, bottom: 52 };
const GAP = 8;

export function attentionGridSvg(inspection: PromptInspection, options: AttentionGridOptions = {}): string {
  const { attentions, attentionLayers, tokens } = inspection;
  const heads = attentions[0]?.shape[1] ?? 0;
  const seq = tokens.length;
  const size = Math.max(48, Math.min(120, Math.floor(960 / Math.max(1, heads))));
  const width = MARGIN.left + heads * (size + GAP) - GAP + MARGIN.right;
  const height = MARGIN.top + attentionLayers.length * (size + GAP) - GAP + MARGIN.bottom;
  const parts: string[] = [
    text(`Attention patterns: ${attentionLayers.length} layers × ${heads} heads, ${seq} tokens`, { x: MARGIN.left, y: 20, "font-size": 15 }),
    text("in each map the query runs down, the key across; darker = more attention", { x: MARGIN.left, y: 38, fill: "#555" }),
  ];
  for (let h = 0; h < heads; h++) parts.push(text(`H${h}`, { x: MARGIN.left + h * (size + GAP) + size / 2, y: MARGIN.top - 6, "text-anchor": "middle" }));
  attentions.forEach((map, row) => {
    const layer = attentionLayers[row]!;
    const y = MARGIN.top + row * (size + GAP);
    parts.push(text(`L${layer}`, { x: MARGIN.left - 8, y: y + size / 2 + 4, "text-anchor": "end" }));
    for (let head = 0; head < heads; head++) {
      const x = MARGIN.left + head * (size + GAP);
      const pooled = poolAttention(map, head, options.maxCells ?? 48);
      const cell = size / pooled.cells;
      const top = mostAttendedPrevious(map, head, seq - 1);
      const note = top === null ? "" : `; from the last token it looks most at ${JSON.stringify(tokens[top.position])} (position ${top.position}, ${top.weight.toFixed(2)})`;
      const pooling = pooled.block > 1 ? `; each cell the largest weight of ${pooled.block} × ${pooled.block} positions` : "";
      parts.push(
        element(
          "g",
          { class: "map", "data-layer": layer, "data-head": head },
          title(`layer ${layer}, head ${head}${note}${pooling}`),
          element("rect", { x, y, width: size, height: size, fill: "#ffffff", stroke: "#cccccc" }),
          heatmapPaths(pooled.values, pooled.cells, pooled.cells, { x, y, cellWidth: cell, cellHeight: cell }, attentionColor),
        ),
      );
    }
  });
  parts.push(legend(MARGIN.left, height - MARGIN.bottom + 14, Math.min(240, width - MARGIN.left - MARGIN.right), attentionColor, "attention weight", "0", "1"));
  if (seq > 0) parts.push(text(`last token: ${displayToken(tokens[seq - 1]!, 24)}`, { x: width - MARGIN.right, y: height - 14, "text-anchor": "end", fill: "#555", style: "white-space:pre" }));
  return svgDocument(width, height, ...parts);
}
