// The inspector page: type a prompt and see its tokens coloured by probability,
// the next-token table, every attention head, the logit lens, and a generation
// timeline of the sampler's decisions; ablate heads and see what changes.
// Served by `lmscope inspect --web` (body data-api: the server runs the model)
// or as static files (the model, a GGUF file, runs in this page). Every failure
// shows as a message on the page; <body data-state> tells tests and scripts
// whether the page is loading, busy, ready or showing an error.

import type { Intervention } from "../../inspect/interventions.js";
import type { PromptInspection } from "../../inspect/prompt-inspection.js";
import { AttentionView } from "./attention-view.js";
import { el, fill } from "./dom.js";
import { localEngine, remoteEngine, type Engine } from "./engine.js";
import { GenerationView } from "./generation-view.js";
import { renderLens } from "./lens-view.js";
import { STYLE } from "./style.js";
import { renderNextTokens, renderTokens } from "./token-view.js";

const DEFAULT_PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,";

document.head.append(el("style", { text: STYLE }));
const body = document.body;

const errorBox = el("div", { class: "error", attrs: { role: "alert", "data-testid": "error" } });
errorBox.hidden = true;
const status = el("div", { class: "status", attrs: { "data-testid": "status" } });
const modelName = el("span", { class: "model-name", attrs: { "data-testid": "model" } });
const promptBox = el("textarea", { attrs: { name: "prompt", "aria-label": "prompt", spellcheck: "false" } });
promptBox.value = DEFAULT_PROMPT;
const inspectButton = el("button", { text: "Inspect", attrs: { type: "submit" } });
inspectButton.disabled = true;
const promptForm = el("form", { class: "prompt-form" }, promptBox, inspectButton);
const tokensBox = el("div");
const nextBox = el("div");
const ablationLine = el("div", { class: "ablations", attrs: { "data-testid": "ablations" } });
const attentionBox = el("div");
const lensBox = el("div");
const generationBox = el("div");
const results = el(
  "div",
  {},
  el("section", {}, el("h2", { text: "Tokens" }), tokensBox),
  el("section", {}, el("h2", { text: "Next token" }), ablationLine, nextBox),
  el("section", {}, el("h2", { text: "Attention" }), attentionBox),
  el("section", {}, el("h2", { text: "Logit lens" }), lensBox),
  el("section", {}, el("h2", { text: "Generation" }), generationBox),
);
results.hidden = true;

let engine: Engine | null = null;
let prompt = "";
let clean: PromptInspection | null = null;
let current: PromptInspection | null = null;
const ablated = new Set<string>();
let generationRun = 0;

const attention = new AttentionView(attentionBox, { toggleAblation: (layer, head) => void run(() => toggleAblation(layer, head)) });
const generation = new GenerationView(generationBox, () => void generate());

function setState(state: "loading" | "busy" | "ready" | "error"): void {
  body.dataset["state"] = state;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "something failed without a message";
}

function showError(error: unknown): void {
  errorBox.textContent = messageOf(error);
  errorBox.hidden = false;
  status.textContent = "";
  setState("error");
}

/** Runs a step of the page with the busy state, its errors shown on the page. */
async function run(step: () => Promise<void>, label = "working…"): Promise<void> {
  errorBox.hidden = true;
  status.textContent = label;
  setState("busy");
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint the state first
  try {
    await step();
    status.textContent = "";
    setState("ready");
  } catch (error) {
    showError(error);
  }
}

type HeadAblation = Extract<Intervention, { ablate: "heads" }>;

function interventions(): HeadAblation[] {
  const byLayer = new Map<number, number[]>();
  for (const key of ablated) {
    const [layer, head] = key.split(":").map(Number) as [number, number];
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), head]);
  }
  return [...byLayer].sort((a, b) => a[0] - b[0]).map(([layer, heads]): HeadAblation => ({ ablate: "heads", layer, heads: heads.sort((a, b) => a - b) }));
}

async function inspect(): Promise<void> {
  const text = promptBox.value;
  const inspection = await engine!.inspect(text, []);
  prompt = text;
  clean = inspection;
  current = inspection;
  ablated.clear();
  render();
  void generate();
}

async function toggleAblation(layer: number, head: number): Promise<void> {
  const key = `${layer}:${head}`;
  if (ablated.has(key)) ablated.delete(key);
  else ablated.add(key);
  current = ablated.size === 0 ? clean : await engine!.inspect(prompt, interventions());
  render();
  void generate();
}

function render(): void {
  const shown = current!;
  const comparison = ablated.size === 0 ? null : clean;
  results.hidden = false;
  renderTokens(tokensBox, shown, comparison);
  renderNextTokens(nextBox, shown, comparison);
  attention.render(shown, ablated);
  renderLens(lensBox, shown);
  const list = interventions().map((i) => `layer ${i.layer} head${i.heads.length > 1 ? "s" : ""} ${i.heads.join(", ")}`);
  fill(
    ablationLine,
    ablated.size === 0
      ? el("span", { class: "hint", text: "No head is ablated: ✕ on a head in the attention view ablates it." })
      : el("span", {}, `Ablated: ${list.join("; ")} `, el("button", { class: "secondary", text: "clear", on: { click: () => void run(clearAblations) } })),
  );
}

async function clearAblations(): Promise<void> {
  ablated.clear();
  current = clean;
  render();
  void generate();
}

async function generate(): Promise<void> {
  if (engine === null || current === null) return;
  const mine = ++generationRun;
  const room = engine.model.contextLength - current.ids.length;
  if (room < 1) {
    generation.showStatus("the prompt fills the context window: there is no room to generate");
    return;
  }
  body.dataset["generation"] = "busy";
  generation.showStatus("sampling…");
  try {
    const trace = await engine.generate(prompt, generation.request(interventions(), room));
    if (mine === generationRun) generation.render(trace, prompt);
  } catch (error) {
    if (mine === generationRun) generation.showStatus(`generation failed: ${messageOf(error)}`);
  } finally {
    if (mine === generationRun) body.dataset["generation"] = "ready";
  }
}

function ready(loaded: Engine): void {
  engine = loaded;
  const { name, architecture, layers, heads, contextLength, vocabSize } = loaded.model;
  modelName.textContent = `${name} — ${architecture}, ${layers} layers × ${heads} heads, context ${contextLength}, vocabulary ${vocabSize}; runs in the ${loaded.runsIn}`;
  inspectButton.disabled = false;
}

function staticLoader(): HTMLElement {
  const file = el("input", { attrs: { type: "file", accept: ".gguf", "aria-label": "GGUF file" } });
  const url = el("input", { attrs: { type: "url", placeholder: "or a GGUF file's URL", "aria-label": "GGUF URL", size: 40 } });
  const load = (source: { url: string } | { file: File }) =>
    run(async () => {
      inspectButton.disabled = true;
      ready(await localEngine(source));
    }, "loading the model…");
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (chosen !== undefined) void load({ file: chosen });
  });
  const form = el("form", { class: "loader" }, "Model (GGUF, runs in this page):", file, url, el("button", { class: "secondary", text: "Load", attrs: { type: "submit" } }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (url.value.trim() !== "") void load({ url: url.value.trim() });
  });
  const initial = new URLSearchParams(location.search).get("model") ?? body.dataset["model"];
  if (initial !== undefined && initial !== "") {
    url.value = initial;
    void load({ url: initial });
  } else {
    setState("ready");
    status.textContent = "choose a GGUF model file to start";
  }
  return form;
}

promptForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (engine !== null) void run(inspect, "running the prompt…");
});
promptBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) promptForm.requestSubmit();
});
window.addEventListener("error", (event) => showError(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

const api = body.dataset["api"];
document.getElementById("boot")?.remove();
body.append(el("header", {}, el("h1", { text: "lmscope inspector" }), modelName));
if (api === undefined) body.append(staticLoader());
body.append(promptForm, errorBox, status, results);
if (api !== undefined) void run(async () => ready(await remoteEngine(api)), "connecting to the model…");
