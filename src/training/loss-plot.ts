// loss.svg: training and validation loss against the optimizer step, as a
// self-contained SVG (no dependencies, no scripts, no external fonts). The loss
// of every training step is drawn as a thin line; the periodic estimates
// (nanoGPT estimate_loss: training and validation loss over a few random
// batches) as lines with a dot at each evaluation; the final whole-split
// validation loss, when given, as a labelled dot.

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LossCurves {
  /** Loss of each training step (the step it was computed at, 0-based). */
  trainSteps: readonly LossPoint[];
  /** Periodic estimate on the training split. */
  trainEstimates?: readonly LossPoint[];
  /** Periodic estimate on the validation split. */
  validation: readonly LossPoint[];
  /** The whole-split validation loss at the end, if measured. */
  finalValidation?: LossPoint;
  title?: string;
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 64, right: 24, top: 40, bottom: 52 };
const COLORS = { trainSteps: "#9ecae1", train: "#1f77b4", validation: "#ff7f0e", final: "#d62728", axis: "#444", grid: "#e5e5e5" };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round tick spacing giving about `count` ticks over `span`. */
function tickStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

function ticks(min: number, max: number, count: number): number[] {
  const step = tickStep(max - min, count);
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(4)));
}

/** The SVG document for the curves. */
export function lossCurveSvg(curves: LossCurves): string {
  const finite = (points: readonly LossPoint[] | undefined): LossPoint[] =>
    (points ?? []).filter((p) => Number.isFinite(p.step) && Number.isFinite(p.loss));
  const trainSteps = finite(curves.trainSteps);
  const trainEstimates = finite(curves.trainEstimates);
  const validation = finite(curves.validation);
  const final = curves.finalValidation !== undefined ? finite([curves.finalValidation]) : [];
  const all = [...trainSteps, ...trainEstimates, ...validation, ...final];

  let xMax = Math.max(1, ...all.map((p) => p.step));
  let yMin = all.length > 0 ? Math.min(...all.map((p) => p.loss)) : 0;
  let yMax = all.length > 0 ? Math.max(...all.map((p) => p.loss)) : 1;
  if (yMax - yMin < 1e-6) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const pad = (yMax - yMin) * 0.04;
  yMin = Math.max(0, yMin - pad);
  yMax += pad;
  const xTicks = ticks(0, xMax, 8);
  xMax = Math.max(xMax, xTicks[xTicks.length - 1]!);
  const yTicks = ticks(yMin, yMax, 6);

  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (step: number): number => MARGIN.left + (step / xMax) * plotWidth;
  const y = (loss: number): number => MARGIN.top + (1 - (loss - yMin) / (yMax - yMin)) * plotHeight;
  const f = (v: number): string => v.toFixed(1);
  const polyline = (points: LossPoint[], color: string, width: number): string =>
    points.length === 0
      ? ""
      : `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" points="${points.map((p) => `${f(x(p.step))},${f(y(p.loss))}`).join(" ")}"/>`;
  const dots = (points: LossPoint[], color: string, radius: number): string =>
    points.map((p) => `<circle cx="${f(x(p.step))}" cy="${f(y(p.loss))}" r="${radius}" fill="${color}"><title>step ${p.step}: ${p.loss.toFixed(4)}</title></circle>`).join("");

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(curves.title ?? "Loss")}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${f(x(t))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="${COLORS.axis}"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">loss (nats)</text>`,
  );
  parts.push(polyline(trainSteps, COLORS.trainSteps, 1));
  parts.push(polyline(trainEstimates, COLORS.train, 2), dots(trainEstimates, COLORS.train, 3));
  parts.push(polyline(validation, COLORS.validation, 2), dots(validation, COLORS.validation, 3));
  parts.push(dots(final, COLORS.final, 4));

  const legend: [string, string][] = [];
  if (trainSteps.length > 0) legend.push([COLORS.trainSteps, "train (each step)"]);
  if (trainEstimates.length > 0) legend.push([COLORS.train, "train (estimate)"]);
  if (validation.length > 0) legend.push([COLORS.validation, "validation (estimate)"]);
  if (final.length > 0) legend.push([COLORS.final, `validation, whole split: ${final[0]!.loss.toFixed(4)}`]);
  legend.forEach(([color, label], i) => {
    const ly = MARGIN.top + 14 + i * 18;
    const lx = WIDTH - MARGIN.right - 220;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}">${escapeXml(label)}</text>`);
  });
  parts.push("</svg>\n");
  return parts.filter((p) => p !== "").join("\n");
}
