// loss.svg: a self-contained SVG with one polyline per curve, points in the plot
// area, escaped text, and no failure on empty or non-finite input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { lossCurveSvg } from "../../../src/training/loss-plot.js";

const curves = {
  title: "run <a> & b",
  trainSteps: Array.from({ length: 50 }, (_, step) => ({ step, loss: 4 - step * 0.05 })),
  trainEstimates: [0, 25, 50].map((step) => ({ step, loss: 4 - step * 0.05 })),
  validation: [0, 25, 50].map((step) => ({ step, loss: 4.1 - step * 0.045 })),
  finalValidation: { step: 50, loss: 1.9 },
};

function polylinePoints(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(" ").map((pair) => pair.split(",").map(Number) as [number, number]));
}

test("one polyline per curve with a point per step, inside the plot area", () => {
  const svg = lossCurveSvg(curves);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  const lines = polylinePoints(svg);
  assert.deepEqual(lines.map((l) => l.length), [50, 3, 3]);
  for (const line of lines) for (const [x, y] of line) assert.ok(x >= 64 && x <= 720 - 24 && y >= 40 && y <= 420 - 52, `point ${x},${y} outside the plot`);
  // loss falls, so y grows down the screen… the first training point is above (smaller y than) the last
  assert.ok(lines[0]![0]![1] < lines[0]![49]![1]);
  assert.match(svg, /validation, whole split: 1\.9000/);
  assert.match(svg, /<title>step 50: 1\.9000<\/title>/);
});

test("text is escaped; no scripts", () => {
  const svg = lossCurveSvg(curves);
  assert.match(svg, /run &#60;a&#62; &#38; b/);
  assert.doesNotMatch(svg, /<script|run <a>/);
});

test("empty, constant and non-finite curves still give a valid document", () => {
  const empty = lossCurveSvg({ trainSteps: [], validation: [] });
  assert.match(empty, /<\/svg>/);
  assert.equal(polylinePoints(empty).length, 0);
  const flat = lossCurveSvg({ trainSteps: [{ step: 0, loss: 2 }, { step: 1, loss: 2 }, { step: 2, loss: Number.NaN }], validation: [] });
  assert.deepEqual(polylinePoints(flat).map((l) => l.length), [2]);
  assert.doesNotMatch(flat, /NaN|Infinity/);
});
