// The prompt as a strip of tokens, each coloured by its surprisal: −log₂ of the
// probability the model gave it at the position before (yellow = expected, red
// = surprising, on a scale that ends at log₂ of the vocabulary, the surprisal
// of a uniform guess). The first token has no prediction and stays grey.

import type { PromptInspection } from "../prompt-inspection.js";
import { displayToken } from "../token-texts.js";
import { surprisalColor, surprisalFill, textColorOn } from "./colors.js";
import { legend } from "./legend.js";
import { element, svgDocument, text, title } from "./svg.js";

export interface SurprisalStripOptions {
  /** Width of the picture (default 900). */
  readonly width?: number;
}

const CHAR_WIDTH = 7.8; // 13px monospace
const ROW = 26;
const PAD = 16;
const TOP = 48;

export function surprisalStripSvg(inspection: PromptInspection, options: SurprisalStripOptions = {}): string {
  const { tokens, positions, texts, vocabSize } = inspection;
  const width = options.width ?? 900;
  const maxBits = Math.log2(Math.max(2, vocabSize));
  const boxes: string[] = [];
  let x = PAD;
  let y = TOP;
  let total = 0;
  tokens.forEach((token, t) => {
    const label = displayToken(token, 40);
    const boxWidth = Math.max(1, Array.from(label).length) * CHAR_WIDTH + 8;
    if (x + boxWidth > width - PAD && x > PAD) {
      x = PAD;
      y += ROW;
    }
    const predicted = t > 0 ? positions[t - 1]!.next : undefined;
    const fill = predicted === undefined ? "#e0e0e0" : surprisalFill(predicted.surprisalBits, vocabSize);
    if (predicted !== undefined) total += predicted.surprisalBits;
    const expected = t > 0 ? positions[t - 1]!.top.slice(0, 3).map((c) => `${JSON.stringify(texts[c.tokenId] ?? "")} ${c.probability.toFixed(3)}`).join(", ") : "";
    const tip =
      predicted === undefined
        ? `position ${t}: ${JSON.stringify(token)} (nothing predicts the first token)`
        : `position ${t}: ${JSON.stringify(token)} — ${predicted.surprisalBits.toFixed(2)} bits, p ${predicted.probability.toFixed(4)}, rank ${predicted.rank}; expected ${expected}`;
    boxes.push(
      element(
        "g",
        { class: "token", "data-position": t },
        title(tip),
        element("rect", { x, y, width: boxWidth - 2, height: ROW - 4, rx: 3, fill }),
        text(label, { x: x + 4, y: y + 16, fill: textColorOn(fill), style: "white-space:pre", "font-family": "monospace", "font-size": 13 }),
      ),
    );
    x += boxWidth;
  });
  const height = y + ROW + 60;
  const mean = tokens.length > 1 ? total / (tokens.length - 1) : 0;
  return svgDocument(
    width,
    height,
    text(`Surprisal of each prompt token: mean ${mean.toFixed(2)} bits over ${Math.max(0, tokens.length - 1)} predicted tokens`, { x: PAD, y: 22, "font-size": 15 }),
    element("g", { class: "strip" }, ...boxes),
    legend(PAD, height - 44, 260, surprisalColor, "surprisal (bits)", "0", maxBits.toFixed(1)),
  );
}
