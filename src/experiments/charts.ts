// Line charts as self-contained SVG (no scripts, no external fonts), in the manner
// of training/loss-plot.ts: several named series on shared axes, each a polyline
// with a dot per point, an optional logarithmic axis, a legend. Used by the
// experiments' reports (loss curves, perplexity against context length or size,
// time and memory per generated token).

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
  /** Draw a dot at every point (default true; off for dense curves such as per-step losses). */
  dots?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  logX?: boolean;
  logY?: boolean;
  /** Tick values of the x axis (default: round values over the range). */
  xTicks?: readonly number[];
}

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 72, right: 200, top: 40, bottom: 52 };
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick values over [min, max]: 1-2-5 steps on a linear axis, powers (and 2×, 5×) on a log axis. */
export function axisTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
      }
    }
    if (ticks.length >= 3) return ticks;
    // a narrow range: round values spaced evenly (drawn on the log scale)
  }
  const raw = (max - min) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 10000) return `${Number((v / 1000).toPrecision(4))}k`;
  return String(Number(v.toPrecision(4)));
}

export function lineChartSvg(chart: Chart): string {
  const usable = (p: ChartPoint) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!chart.logX || p.x > 0) && (!chart.logY || p.y > 0);
  const series = chart.series.map((s) => ({ ...s, points: s.points.filter(usable) }));
  const all = series.flatMap((s) => s.points);
  let xMin = Math.min(...all.map((p) => p.x));
  let xMax = Math.max(...all.map((p) => p.x));
  let yMin = Math.min(...all.map((p) => p.y));
  let yMax = Math.max(...all.map((p) => p.y));
  if (all.length === 0) [xMin, xMax, yMin, yMax] = [0, 1, 0, 1];
  if (xMax - xMin < 1e-12) [xMin, xMax] = chart.logX ? [xMin / 2, xMax * 2] : [xMin - 1, xMax + 1];
  if (yMax - yMin < 1e-12) [yMin, yMax] = chart.logY ? [yMin / 2, yMax * 2] : [yMin - 0.5, yMax + 0.5];
  if (!chart.logY) {
    const pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
  }
  const scale = (v: number, min: number, max: number, log: boolean | undefined): number =>
    log ? (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)) : (v - min) / (max - min);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number): number => MARGIN.left + scale(v, xMin, xMax, chart.logX) * plotWidth;
  const y = (v: number): number => MARGIN.top + (1 - scale(v, yMin, yMax, chart.logY)) * plotHeight;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`);
  for (const t of axisTicks(yMin, yMax, chart.logY === true)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of chart.xTicks?.filter((v) => v >= xMin && v <= xMax) ?? axisTicks(xMin, xMax, chart.logX === true)) {
    parts.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${f(x(t))}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (s.points.length > 0) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${s.points.map((p) => `${f(x(p.x))},${f(y(p.y))}`).join(" ")}"/>`);
    }
    if (s.dots !== false) {
      for (const p of s.points) parts.push(`<circle cx="${f(x(p.x))}" cy="${f(y(p.y))}" r="3" fill="${color}"><title>${escapeXml(s.name)}: ${formatTick(p.x)}, ${Number(p.y.toPrecision(5))}</title></circle>`);
    }
    const ly = MARGIN.top + 14 + i * 18;
    const lx = MARGIN.left + plotWidth + 12;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  parts.push("</svg>\n");
  return parts.join("\n");
}
