// The logit lens as a table (nostalgebraist 2020): a column per position, a row
// per hidden state — the embeddings at the bottom, the model's output at the top
// — each cell the token the LM head reads there most likely next, shaded by its
// probability, in bold where it is the token that actually came next.

import type { PromptInspection } from "../prompt-inspection.js";
import { displayToken } from "../token-texts.js";
import { probabilityColor, textColorOn } from "./colors.js";
import { legend } from "./legend.js";
import { element, svgDocument, text, title } from "./svg.js";

export interface LogitLensTableOptions {
  /** Positions drawn: [start, end) (default all). */
  readonly start?: number;
  readonly end?: number;
}

const CELL = { width: 66, height: 22 };
const LEFT = 84;
const TOP = 72;

/** A hidden state's row label: 0 is the embeddings, the last is the output. */
export function lensRowLabel(index: number, layers: number): string {
  if (index === 0) return "embeddings";
  return index === layers ? `out (${index})` : `after ${index - 1}`;
}

export function logitLensTableSvg(inspection: PromptInspection, options: LogitLensTableOptions = {}): string {
  const { lens, tokens, texts, ids } = inspection;
  const layers = lens.length - 1;
  const start = Math.max(0, options.start ?? 0);
  const end = Math.min(tokens.length, options.end ?? tokens.length);
  const columns = end - start;
  const width = LEFT + columns * CELL.width + 16;
  const height = TOP + (layers + 1) * CELL.height + 2 * CELL.height + 56;
  const rowY = (index: number) => TOP + (layers - index) * CELL.height;
  const parts: string[] = [
    text(`Logit lens: the most likely next token read from each layer's residual stream${start > 0 || end < tokens.length ? `, positions ${start}–${end - 1} of ${tokens.length}` : ""}`, { x: 16, y: 20, "font-size": 15 }),
    text("shade = its probability; bold = the token that actually came next", { x: 16, y: 38, fill: "#555" }),
    text("next →", { x: LEFT - 6, y: TOP - 8, "text-anchor": "end", fill: "#555" }),
  ];
  for (let t = start; t < end; t++) {
    const x = LEFT + (t - start) * CELL.width;
    const next = t + 1 < ids.length ? displayToken(tokens[t + 1]!, 8) : "";
    parts.push(text(next, { x: x + CELL.width / 2, y: TOP - 8, "text-anchor": "middle", fill: "#555", style: "white-space:pre", "font-family": "monospace" }));
  }
  for (let index = layers; index >= 0; index--) {
    const y = rowY(index);
    parts.push(text(lensRowLabel(index, layers), { x: LEFT - 6, y: y + 15, "text-anchor": "end" }));
    for (let t = start; t < end; t++) {
      const x = LEFT + (t - start) * CELL.width;
      const summary = lens[index]![t]!;
      const best = summary.top[0]!;
      const fill = probabilityColor(best.probability);
      const isNext = summary.next?.tokenId === best.tokenId;
      const listed = summary.top.map((c) => `${JSON.stringify(texts[c.tokenId] ?? "")} ${c.probability.toFixed(3)}`).join(", ");
      const nextNote = summary.next === undefined ? "" : `; the actual next token ${JSON.stringify(texts[summary.next.tokenId] ?? tokens[t + 1] ?? "")} has rank ${summary.next.rank}, p ${summary.next.probability.toFixed(3)}`;
      parts.push(
        element(
          "g",
          { class: "cell", "data-layer": index, "data-position": t },
          title(`${lensRowLabel(index, layers)}, position ${t}: ${listed}${nextNote}`),
          element("rect", { x, y, width: CELL.width - 1, height: CELL.height - 1, fill }),
          text(displayToken(texts[best.tokenId] ?? "", 8), {
            x: x + CELL.width / 2,
            y: y + 15,
            "text-anchor": "middle",
            fill: textColorOn(fill),
            "font-weight": isNext ? "bold" : undefined,
            style: "white-space:pre",
            "font-family": "monospace",
          }),
        ),
      );
    }
  }
  const inputY = rowY(0) + CELL.height + 16;
  parts.push(text("input", { x: LEFT - 6, y: inputY, "text-anchor": "end", "font-weight": "bold" }));
  for (let t = start; t < end; t++) {
    parts.push(text(displayToken(tokens[t]!, 8), { x: LEFT + (t - start) * CELL.width + CELL.width / 2, y: inputY, "text-anchor": "middle", "font-weight": "bold", style: "white-space:pre", "font-family": "monospace" }));
  }
  parts.push(legend(LEFT, height - 40, Math.min(240, columns * CELL.width), probabilityColor, "probability", "0", "1"));
  return svgDocument(width, height, ...parts);
}
