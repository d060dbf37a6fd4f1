// The attention views: the model view (every captured layer × head as a
// thumbnail, pooled as the SVG grid is; click to select, ✕ to ablate), and for
// the selected head a heatmap (one canvas pixel per query × key, the query
// running down) and the head view (a line from each query on the left to each
// key it attends to on the right). Selecting a head redraws only these two
// canvases; the thumbnails are drawn once per inspection. The head view's canvas
// is the size of its visible window and is redrawn as it scrolls, so that a
// 512-token prompt does not make an 8,000-pixel canvas to rasterise.

import { attentionRow, poolAttention } from "../../inspect/attention-summary.js";
import type { PromptInspection } from "../../inspect/prompt-inspection.js";
import { attentionColor, colorTable } from "../../inspect/pictures/colors.js";
import { displayToken } from "../../inspect/token-texts.js";
import type { CapturedArray } from "../../inspect/recorder.js";
import { el, fill, hideTooltip, quoted, showTooltip } from "./dom.js";
import { legendBar } from "./legend.js";

const THUMB_CELLS = 64;
const ROW = 16;
const HEAD_VIEW_WIDTH = 440;
const HEAD_VIEW_HEIGHT = 560;
const LINE_THRESHOLD = 0.02;

export interface AttentionCallbacks {
  toggleAblation(layer: number, head: number): void;
}

export class AttentionView {
  private inspection: PromptInspection | null = null;
  private selected = { layer: 0, head: 0 };
  private thumbs = new Map<string, HTMLElement>();
  private readonly palette = colorTable(attentionColor);
  private readonly grid = el("div", { class: "model-view", attrs: { "data-testid": "model-view" } });
  private readonly title = el("h3", { class: "detail-title" });
  private readonly heatmap = el("canvas", { class: "heatmap", attrs: { "data-testid": "heatmap" } });
  private readonly headView = el("canvas", { attrs: { "data-testid": "head-view" } });
  private readonly headViewSpacer = el("div");
  private readonly headViewBox = el("div", { class: "head-view" }, this.headView, this.headViewSpacer);
  private highlighted: number | null = null;

  constructor(
    root: HTMLElement,
    private readonly callbacks: AttentionCallbacks,
  ) {
    this.heatmap.addEventListener("mousemove", (event) => this.heatmapTooltip(event));
    this.heatmap.addEventListener("mouseleave", hideTooltip);
    this.headView.addEventListener("mousemove", (event) => this.highlight(Math.floor((event.offsetY + this.headViewBox.scrollTop - 24) / ROW)));
    this.headView.addEventListener("mouseleave", () => this.highlight(null));
    this.headViewBox.addEventListener("scroll", () => {
      if (this.inspection !== null) this.drawHeadView();
    });
    fill(
      root,
      el("p", { class: "hint", text: "Each thumbnail is one head (query down, key across). Click a head to see it below; ✕ ablates it (its output set to zero) and reruns the prompt." }),
      this.grid,
      legendBar(attentionColor, "attention weight", "0", "1"),
      this.title,
      el("div", { class: "detail" }, this.heatmap, this.headViewBox),
    );
  }

  /** Draws the thumbnails of a new inspection and the selected head. */
  render(inspection: PromptInspection, ablated: ReadonlySet<string>): void {
    this.inspection = inspection;
    const { attentionLayers, attentions } = inspection;
    const heads = attentions[0]?.shape[1] ?? 0;
    this.grid.style.gridTemplateColumns = `40px repeat(${heads}, 68px)`;
    this.thumbs.clear();
    const cells: HTMLElement[] = [];
    attentions.forEach((map, row) => {
      const layer = attentionLayers[row]!;
      cells.push(el("div", { class: "label", text: `L${layer}` }));
      for (let head = 0; head < heads; head++) {
        const key = `${layer}:${head}`;
        const canvas = this.thumbnail(map, head);
        const ablate = el("button", {
          class: "ablate",
          text: "✕",
          title: `ablate layer ${layer} head ${head}`,
          attrs: { "aria-pressed": String(ablated.has(key)), "aria-label": `ablate layer ${layer} head ${head}` },
          on: {
            click: (event) => {
              event.stopPropagation();
              this.callbacks.toggleAblation(layer, head);
            },
          },
        });
        const thumb = el(
          "div",
          { class: `thumb${ablated.has(key) ? " ablated" : ""}`, title: `layer ${layer}, head ${head}`, attrs: { "data-layer": layer, "data-head": head }, on: { click: () => this.select(layer, head) } },
          canvas,
          ablate,
        );
        this.thumbs.set(key, thumb);
        cells.push(thumb);
      }
    });
    fill(this.grid, ...cells);
    const { layer, head } = this.selected;
    this.select(attentionLayers.includes(layer) ? layer : attentionLayers[attentionLayers.length - 1]!, Math.min(head, heads - 1));
  }

  /** Shows one head: redraws the heatmap and the head view only. */
  select(layer: number, head: number): void {
    const inspection = this.inspection;
    if (inspection === null) return;
    this.thumbs.get(`${this.selected.layer}:${this.selected.head}`)?.classList.remove("selected");
    this.selected = { layer, head };
    this.thumbs.get(`${layer}:${head}`)?.classList.add("selected");
    this.title.textContent = `Layer ${layer}, head ${head}`;
    this.drawHeatmap();
    this.highlighted = null;
    this.drawHeadView();
  }

  private map(): CapturedArray {
    const inspection = this.inspection!;
    return inspection.attentions[inspection.attentionLayers.indexOf(this.selected.layer)]!;
  }

  private thumbnail(map: CapturedArray, head: number): HTMLCanvasElement {
    const pooled = poolAttention(map, head, THUMB_CELLS);
    const canvas = el("canvas", { attrs: { width: pooled.cells, height: pooled.cells } });
    canvas.getContext("2d")!.putImageData(this.paint(pooled.values, pooled.cells), 0, 0);
    return canvas;
  }

  /** values [n, n] in [0, 1] as pixels of the palette. */
  private paint(values: ArrayLike<number>, n: number): ImageData {
    const image = new ImageData(n, n);
    const pixels = image.data;
    const palette = this.palette;
    for (let i = 0; i < n * n; i++) {
      const level = Math.max(0, Math.min(255, Math.round(values[i]! * 255))) * 4;
      pixels[4 * i] = palette[level]!;
      pixels[4 * i + 1] = palette[level + 1]!;
      pixels[4 * i + 2] = palette[level + 2]!;
      pixels[4 * i + 3] = 255;
    }
    return image;
  }

  private drawHeatmap(): void {
    const map = this.map();
    const seq = map.shape[3]!;
    const { head } = this.selected;
    this.heatmap.width = seq;
    this.heatmap.height = seq;
    const size = Math.max(240, Math.min(512, seq * 8));
    this.heatmap.style.width = `${size}px`;
    this.heatmap.style.height = `${size}px`;
    this.heatmap.getContext("2d")!.putImageData(this.paint(map.data.subarray(head * seq * seq, (head + 1) * seq * seq), seq), 0, 0);
  }

  private heatmapTooltip(event: MouseEvent): void {
    const inspection = this.inspection;
    if (inspection === null) return;
    const seq = inspection.tokens.length;
    const query = Math.floor((event.offsetY / this.heatmap.clientHeight) * seq);
    const key = Math.floor((event.offsetX / this.heatmap.clientWidth) * seq);
    if (query < 0 || key < 0 || query >= seq || key >= seq) return hideTooltip();
    const weight = attentionRow(this.map(), this.selected.head, query)[key]!;
    showTooltip(event, [`query ${query} ${quoted(inspection.tokens[query]!)}`, `key ${key} ${quoted(inspection.tokens[key]!)}`, `weight ${weight.toFixed(4)}`]);
  }

  private highlight(query: number | null): void {
    const seq = this.inspection?.tokens.length ?? 0;
    const next = query !== null && query >= 0 && query < seq ? query : null;
    if (next === this.highlighted) return;
    this.highlighted = next;
    this.drawHeadView();
  }

  private drawHeadView(): void {
    const inspection = this.inspection!;
    const map = this.map();
    const seq = inspection.tokens.length;
    const ratio = window.devicePixelRatio || 1;
    const fullHeight = 24 + seq * ROW + 8;
    const height = Math.min(fullHeight, HEAD_VIEW_HEIGHT);
    // Resizing a canvas reallocates it: only when the window's size changed.
    if (this.headView.width !== HEAD_VIEW_WIDTH * ratio || this.headView.height !== height * ratio) {
      this.headView.width = HEAD_VIEW_WIDTH * ratio;
      this.headView.height = height * ratio;
      this.headView.style.width = `${HEAD_VIEW_WIDTH}px`;
      this.headView.style.height = `${height}px`;
    }
    this.headViewSpacer.style.height = `${fullHeight - height}px`;
    const offset = Math.min(this.headViewBox.scrollTop, fullHeight - height);
    const context = this.headView.getContext("2d")!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, HEAD_VIEW_WIDTH, height);
    const left = 130;
    const right = HEAD_VIEW_WIDTH - 130;
    const y = (t: number) => 24 + t * ROW + ROW / 2 - offset;
    const visible = (top: number, bottom: number) => bottom > 0 && top < height;
    // Lines grouped by weight level, one path per level: a few strokes, not one per line.
    const levels = 16;
    const paths = Array.from({ length: levels }, () => new Path2D());
    const faint = new Path2D();
    for (let q = 0; q < seq; q++) {
      const row = attentionRow(map, this.selected.head, q);
      const dim = this.highlighted !== null && this.highlighted !== q;
      for (let k = 0; k <= q; k++) {
        const weight = row[k]!;
        if (weight < LINE_THRESHOLD || !visible(y(k), y(q))) continue;
        const path = dim ? faint : paths[Math.min(levels - 1, Math.floor(weight * levels))]!;
        path.moveTo(left, y(q));
        path.lineTo(right, y(k));
      }
    }
    context.strokeStyle = "rgba(44, 111, 187, 0.04)";
    context.lineWidth = 1;
    context.stroke(faint);
    paths.forEach((path, level) => {
      const weight = (level + 0.5) / levels;
      context.strokeStyle = `rgba(44, 111, 187, ${Math.min(1, 0.1 + weight)})`;
      context.lineWidth = 0.5 + 3 * weight;
      context.stroke(path);
    });
    context.font = "12px ui-monospace, monospace";
    const keys = this.highlighted === null ? null : attentionRow(map, this.selected.head, this.highlighted);
    inspection.tokens.forEach((token, t) => {
      if (!visible(y(t) - ROW, y(t) + ROW)) return;
      const label = displayToken(token, 16);
      context.fillStyle = this.highlighted === t ? "#1f5fa8" : "#1d232b";
      context.textAlign = "right";
      context.fillText(label, left - 6, y(t) + 4);
      context.fillStyle = keys !== null && t <= this.highlighted! ? `rgba(29, 35, 43, ${0.3 + 0.7 * Math.min(1, keys[t]! * 3)})` : "#1d232b";
      context.textAlign = "left";
      context.fillText(label, right + 6, y(t) + 4);
    });
    context.fillStyle = "rgba(255, 255, 255, 0.92)";
    context.fillRect(0, 0, HEAD_VIEW_WIDTH, 20);
    context.font = "bold 12px sans-serif";
    context.fillStyle = "#1d232b";
    context.textAlign = "right";
    context.fillText("query", left - 6, 14);
    context.textAlign = "left";
    context.fillText("key", right + 6, 14);
  }
}
