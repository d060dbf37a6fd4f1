// The logit lens table: a column per position, a row per hidden state (the
// output at the top, the embeddings at the bottom); each cell the most likely
// next token read from that layer, shaded by its probability, bold where it is
// the token that came next; hover lists the cell's top tokens.

import { lensRowLabel } from "../../inspect/pictures/logit-lens-table.js";
import { probabilityColor, textColorOn } from "../../inspect/pictures/colors.js";
import type { PromptInspection } from "../../inspect/prompt-inspection.js";
import { displayToken } from "../../inspect/token-texts.js";
import { el, fill, hideTooltip, percent, quoted, showTooltip } from "./dom.js";
import { legendBar } from "./legend.js";

export function renderLens(container: HTMLElement, inspection: PromptInspection): void {
  const { lens, tokens, texts } = inspection;
  const layers = lens.length - 1;
  const seq = tokens.length;
  const head = el("tr", {}, el("th", { class: "row", text: "next →" }), ...tokens.map((_, t) => el("th", { text: t + 1 < seq ? displayToken(tokens[t + 1]!, 10) : "" })));
  const rows: HTMLElement[] = [];
  for (let index = layers; index >= 0; index--) {
    const cells = lens[index]!.map((summary, t) => {
      const best = summary.top[0]!;
      const background = probabilityColor(best.probability);
      const hit = summary.next?.tokenId === best.tokenId;
      return el("td", { class: hit ? "hit" : "", text: displayToken(texts[best.tokenId] ?? "", 10), attrs: { "data-layer": index, "data-position": t }, style: { background, color: textColorOn(background) } });
    });
    rows.push(el("tr", {}, el("th", { class: "row", text: lensRowLabel(index, layers) }), ...cells));
  }
  rows.push(el("tr", {}, el("th", { class: "row", text: "input" }), ...tokens.map((token) => el("th", { text: displayToken(token, 10) }))));
  const table = el("table", { class: "lens", attrs: { "data-testid": "lens" } }, head, ...rows);
  table.addEventListener("mousemove", (event) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>("td");
    if (cell === null) return hideTooltip();
    const index = Number(cell.dataset["layer"]);
    const t = Number(cell.dataset["position"]);
    const summary = lens[index]![t]!;
    const lines = [`${lensRowLabel(index, layers)}, position ${t} (after ${quoted(tokens[t]!)})`];
    for (const c of summary.top) lines.push(`  ${percent(c.probability).padStart(6)}  ${quoted(texts[c.tokenId] ?? "")}`);
    if (summary.next !== undefined) lines.push(`came next: ${quoted(tokens[t + 1]!)} — rank ${summary.next.rank}, p ${percent(summary.next.probability)}`);
    showTooltip(event, lines);
  });
  table.addEventListener("mouseleave", hideTooltip);
  fill(
    container,
    el("p", { class: "hint", text: "The final norm and the LM head read at every layer's residual stream: what the model would predict if it stopped there." }),
    el("div", { class: "scroll" }, table),
    legendBar(probabilityColor, "probability of the cell's token", "0", "1"),
  );
}
