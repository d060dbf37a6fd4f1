// A horizontal colour legend: a bar of the scale with its end labels.

import type { ColorScale } from "./colors.js";
import { element, text } from "./svg.js";

export function legend(x: number, y: number, width: number, color: ColorScale, label: string, low: string, high: string): string {
  const steps = 32;
  const bars: string[] = [];
  for (let i = 0; i < steps; i++) {
    bars.push(element("rect", { x: x + (i * width) / steps, y, width: width / steps + 0.5, height: 10, fill: color(i / (steps - 1)) }));
  }
  return element(
    "g",
    { class: "legend" },
    ...bars,
    element("rect", { x, y, width, height: 10, fill: "none", stroke: "#999" }),
    text(low, { x, y: y + 24, "text-anchor": "start" }),
    text(high, { x: x + width, y: y + 24, "text-anchor": "end" }),
    text(label, { x: x + width / 2, y: y + 24, "text-anchor": "middle" }),
  );
}
