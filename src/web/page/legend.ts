// A colour legend of the page: the scale as a small bar between two words.

import type { ColorScale } from "../../inspect/pictures/colors.js";
import { el } from "./dom.js";

export function legendBar(scale: ColorScale, label: string, low: string, high: string): HTMLElement {
  const canvas = el("canvas", { attrs: { width: 140, height: 1 } });
  const context = canvas.getContext("2d")!;
  for (let x = 0; x < 140; x++) {
    context.fillStyle = scale(x / 139);
    context.fillRect(x, 0, 1, 1);
  }
  return el("div", { class: "legend" }, label, " ", low, canvas, high);
}
