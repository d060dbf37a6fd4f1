// The generation timeline: the decoding-strategy controls (temperature, top-k,
// top-p, min-p, seed, tokens) and, for each generated step, the candidates after
// temperature with their probabilities — those a filter cut struck through and
// labelled with it, the survivors with their renormalised share, the token drawn
// outlined. Changing a control samples again at once.

import type { GenerationTrace } from "../../inspect/generation-trace.js";
import { displayToken } from "../../inspect/token-texts.js";
import { el, fill, percent, quoted } from "./dom.js";
import type { GenerationRequest } from "./engine.js";

interface Control {
  readonly name: "temperature" | "topK" | "topP" | "minP" | "seed" | "maxTokens";
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly value: number;
  readonly range: boolean;
}

const CONTROLS: readonly Control[] = [
  { name: "temperature", label: "temperature", min: 0, max: 2, step: 0.05, value: 0.8, range: true },
  { name: "topK", label: "top-k", min: 0, max: 100, step: 1, value: 0, range: true },
  { name: "topP", label: "top-p", min: 0.05, max: 1, step: 0.05, value: 0.9, range: true },
  { name: "minP", label: "min-p", min: 0, max: 1, step: 0.01, value: 0, range: true },
  { name: "seed", label: "seed", min: 0, max: 1_000_000, step: 1, value: 0, range: false },
  { name: "maxTokens", label: "tokens", min: 1, max: 64, step: 1, value: 16, range: false },
];

export class GenerationView {
  private readonly inputs = new Map<Control["name"], HTMLInputElement>();
  private readonly outputs = new Map<Control["name"], HTMLElement>();
  private readonly timeline = el("div", { class: "timeline", attrs: { "data-testid": "timeline" } });
  private readonly text = el("div", { class: "generated" });
  private readonly status = el("div", { class: "status" });
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly onChange: () => void,
  ) {
    const controls = CONTROLS.map((control) => {
      const input = el("input", {
        attrs: { type: control.range ? "range" : "number", min: control.min, max: control.max, step: control.step, value: control.value, name: control.name, "aria-label": control.label },
      });
      const output = el("span", { text: String(control.value) });
      input.addEventListener("input", () => {
        output.textContent = input.value;
        clearTimeout(this.pending);
        this.pending = setTimeout(() => this.onChange(), 150);
      });
      this.inputs.set(control.name, input);
      this.outputs.set(control.name, output);
      return el("label", {}, control.label, input, control.range ? output : null);
    });
    fill(
      root,
      el("p", { class: "hint", text: "Each step lists the most likely candidates after temperature; struck through = cut by the filter named, bar = the share among the tokens that could be drawn, outlined = drawn. top-k 0 and top-p 1 turn those filters off; temperature 0 is greedy." }),
      el("div", { class: "controls" }, ...controls),
      this.status,
      this.text,
      this.timeline,
    );
  }

  /** The controls' values as generation options. */
  request(interventions: GenerationRequest["interventions"], room: number): GenerationRequest {
    const value = (name: Control["name"]) => Number(this.inputs.get(name)!.value);
    return {
      temperature: value("temperature"),
      topK: Math.round(value("topK")),
      topP: value("topP"),
      minP: value("minP"),
      seed: Math.round(value("seed")),
      maxTokens: Math.max(1, Math.min(Math.round(value("maxTokens")), room)),
      candidates: 8,
      interventions,
    };
  }

  showStatus(text: string): void {
    this.status.textContent = text;
  }

  render(trace: GenerationTrace, prompt: string): void {
    const { steps, texts, finishReason } = trace;
    this.status.textContent = `${steps.length} tokens, stopped by ${finishReason === "eos" ? "the end-of-sequence token" : finishReason}`;
    fill(this.text, el("span", { class: "hint", text: prompt }), steps.map((s) => s.text).join(""));
    fill(
      this.timeline,
      ...steps.map((step, i) => {
        const { decision } = step;
        const cutBy = new Map<number, string>();
        for (const filter of decision.filters) for (const c of filter.removed) if (!cutBy.has(c.tokenId)) cutBy.set(c.tokenId, filter.name);
        const share = new Map(decision.kept.map((c) => [c.tokenId, c.probability]));
        const rows = decision.adjusted.map((c) => {
          const cut = cutBy.get(c.tokenId);
          // Greedy decoding draws nothing: the bars show the model's distribution.
          const kept = decision.greedy ? c.probability : share.get(c.tokenId);
          const chosen = c.tokenId === step.tokenId;
          return el(
            "div",
            {
              class: `candidate${cut === undefined ? "" : " removed"}${chosen ? " chosen" : ""}`,
              title: `${quoted(texts[c.tokenId] ?? "")}: ${percent(c.probability)} after temperature${kept === undefined ? "" : `, ${percent(kept)} of the kept mass`}${cut === undefined ? "" : `, cut by ${cut}`}`,
            },
            el("span", { class: "name", text: displayToken(texts[c.tokenId] ?? "", 10) }),
            el("span", { class: "bar", style: { width: `${Math.max(1, Math.round(70 * (kept ?? c.probability)))}px` } }),
            el("span", { text: cut ?? percent(kept ?? 0), class: cut === undefined ? "" : "cut" }),
          );
        });
        const head = `${i + 1}. ${quoted(displayToken(texts[step.tokenId] ?? ""))}`;
        const drawn = decision.greedy ? "greedy: the most likely token (bars: its distribution)" : `drawn with p ${percent(step.chosenProbability)}; ${step.keptCount} could be drawn`;
        return el("div", { class: "step" }, el("h3", { text: head }), el("div", { class: "hint", text: drawn }), ...rows);
      }),
    );
  }
}
