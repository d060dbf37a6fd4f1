// The head view (BertViz's): one layer and head, the tokens listed twice — the
// query on the left, the key on the right — and a line from each query to each
// key it attends to, as opaque and as thick as the weight. Weights below a
// threshold are not drawn; a long prompt is shown in a window of positions.

import { attentionRow } from "../attention-summary.js";
import type { PromptInspection } from "../prompt-inspection.js";
import { displayToken } from "../token-texts.js";
import { element, svgDocument, text, title } from "./svg.js";

export interface HeadViewOptions {
  readonly layer: number;
  readonly head: number;
  /** Positions drawn: [start, end) (default all). */
  readonly start?: number;
  readonly end?: number;
  /** Smallest weight drawn (default 0.02). */
  readonly threshold?: number;
}

const ROW = 18;
const COLUMN = 170;
const SPAN = 240;
const TOP = 64;
const LINE_COLOR = "#2c6fbb";

export function headViewSvg(inspection: PromptInspection, options: HeadViewOptions): string {
  const { tokens, attentionLayers, attentions } = inspection;
  const index = attentionLayers.indexOf(options.layer);
  if (index === -1) throw new RangeError(`layer ${options.layer} was not captured (captured: ${attentionLayers.join(", ")})`);
  const map = attentions[index]!;
  const heads = map.shape[1]!;
  if (!Number.isInteger(options.head) || options.head < 0 || options.head >= heads) throw new RangeError(`head ${options.head} does not exist (0…${heads - 1})`);
  const start = Math.max(0, options.start ?? 0);
  const end = Math.min(tokens.length, options.end ?? tokens.length);
  const threshold = options.threshold ?? 0.02;
  const left = 16;
  const right = left + COLUMN + SPAN;
  const width = right + COLUMN + 16;
  const height = TOP + (end - start) * ROW + 24;
  const y = (position: number) => TOP + (position - start) * ROW + ROW / 2;

  const lines: string[] = [];
  for (let q = start; q < end; q++) {
    const row = attentionRow(map, options.head, q);
    for (let k = start; k <= q; k++) {
      const weight = row[k]!;
      if (weight < threshold) continue;
      lines.push(
        element(
          "line",
          { x1: left + COLUMN, y1: y(q), x2: right, y2: y(k), stroke: LINE_COLOR, "stroke-opacity": Math.min(1, 0.1 + weight), "stroke-width": 0.5 + 3 * weight },
          title(`${displayToken(tokens[q]!)} → ${displayToken(tokens[k]!)}: ${weight.toFixed(3)}`),
        ),
      );
    }
  }
  const labels: string[] = [];
  for (let t = start; t < end; t++) {
    const label = displayToken(tokens[t]!, 22);
    labels.push(text(label, { x: left + COLUMN - 6, y: y(t) + 4, "text-anchor": "end", style: "white-space:pre", "font-family": "monospace" }));
    labels.push(text(label, { x: right + 6, y: y(t) + 4, style: "white-space:pre", "font-family": "monospace" }));
  }
  const windowNote = start > 0 || end < tokens.length ? `, positions ${start}–${end - 1} of ${tokens.length}` : "";
  return svgDocument(
    width,
    height,
    text(`Head view: layer ${options.layer}, head ${options.head}${windowNote}`, { x: left, y: 20, "font-size": 15 }),
    text(`each line joins a query (left) to a key it attends to (right); weights under ${threshold} not drawn`, { x: left, y: 38, fill: "#555" }),
    text("query", { x: left + COLUMN - 6, y: TOP - 8, "text-anchor": "end", "font-weight": "bold" }),
    text("key", { x: right + 6, y: TOP - 8, "font-weight": "bold" }),
    element("g", { class: "edges" }, ...lines),
    element("g", { class: "tokens" }, ...labels),
  );
}
