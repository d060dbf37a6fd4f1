// The names of the capture points (nn/observer.ts) as users write them — the
// TransformerLens convention `blocks.<layer>.<point>` plus `final_norm` — and their
// selection by a list of names, `*` wildcards ("blocks.*.attn.pattern") or a filter.

import { InputError } from "../errors.js";
import { BLOCK_POINTS, type BlockPoint, type CapturePoint } from "../nn/observer.js";

export interface CaptureSite {
  /** The block (0 … layers − 1), or the number of layers for final_norm. */
  readonly layer: number;
  readonly point: CapturePoint;
}

/** Names: a list (wildcards `*` allowed), or a filter over every name. */
export type CaptureSelector = readonly string[] | ((name: string) => boolean);

export function captureName(site: CaptureSite): string {
  return site.point === "final_norm" ? "final_norm" : `blocks.${site.layer}.${site.point}`;
}

/** Every capture point of a model with `layers` blocks, in forward order. */
export function allCaptureSites(layers: number, hasFinalNorm: boolean): CaptureSite[] {
  const sites: CaptureSite[] = [];
  for (let layer = 0; layer < layers; layer++) for (const point of BLOCK_POINTS) sites.push({ layer, point });
  if (hasFinalNorm) sites.push({ layer: layers, point: "final_norm" });
  return sites;
}

/** The sites a selector names; an unknown name (one no wildcard expands to) is an error that lists the scheme. */
export function selectCaptureSites(selector: CaptureSelector, layers: number, hasFinalNorm: boolean): CaptureSite[] {
  const sites = allCaptureSites(layers, hasFinalNorm);
  if (typeof selector === "function") return sites.filter((s) => selector(captureName(s)));
  if (!Array.isArray(selector)) throw new InputError("captures are selected by a list of names or a filter function");
  const chosen = new Set<number>();
  for (const pattern of selector) {
    if (typeof pattern !== "string") throw new InputError(`capture names are strings, got ${JSON.stringify(pattern)}`);
    const regex = new RegExp(`^${pattern.split("*").map(escapeRegex).join("[^.]*")}$`);
    let matched = false;
    sites.forEach((site, i) => {
      if (regex.test(captureName(site))) {
        chosen.add(i);
        matched = true;
      }
    });
    if (!matched) throw new InputError(`unknown capture name "${pattern}": ${scheme(layers, hasFinalNorm)}`);
  }
  return sites.filter((_, i) => chosen.has(i));
}

function scheme(layers: number, hasFinalNorm: boolean): string {
  const last = layers - 1;
  return (
    `names are blocks.<0…${last}>.<${BLOCK_POINTS.join("|")}>` +
    (hasFinalNorm ? " or final_norm" : "") +
    `; * matches any one part (e.g. blocks.*.attn.pattern)`
  );
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

export function isBlockPoint(point: CapturePoint): point is BlockPoint {
  return point !== "final_norm";
}
