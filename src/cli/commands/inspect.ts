// `lmscope inspect`: pictures of what a decoder does with a prompt — the
// attention grid, a head view, the logit lens table, the prompt coloured by
// surprisal (SVG files) — and a short text summary; --json writes every number;
// --web serves the inspector page on 127.0.0.1; --static-page writes the page as
// files that run the model in the browser.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command, CliIo } from "../command.js";
import { createBackend } from "../../backend/select.js";
import { InputError, OptionError } from "../../errors.js";
import { mostAttendedPrevious } from "../../inspect/attention-summary.js";
import { attentionGridSvg } from "../../inspect/pictures/attention-grid.js";
import { headViewSvg } from "../../inspect/pictures/head-view.js";
import { lensRowLabel, logitLensTableSvg } from "../../inspect/pictures/logit-lens-table.js";
import { surprisalStripSvg } from "../../inspect/pictures/surprisal-strip.js";
import { inspectPrompt, type PromptInspection } from "../../inspect/prompt-inspection.js";
import type { CapturedArray } from "../../inspect/recorder.js";
import { displayToken } from "../../inspect/token-texts.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { EncoderModel } from "../../encoder-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import { backendFlags } from "../generation-flags.js";
import { resolveModelOption } from "../model-argument.js";
import { numberOption, parseCommandLine, requiredString, stringOption, type Parsed } from "../options.js";

const usage = `usage: lmscope inspect --model <path> --prompt <text> [options]
       lmscope inspect --web --model <path> [--port <n>]
       lmscope inspect --static-page <dir> [--model <file.gguf>]

Draws what a decoder does with a prompt as SVG files in --out — the attention
grid (layers × heads), a head view, the logit lens table and the prompt coloured
by surprisal — and prints the most likely next tokens and, for each head of the
last layer, the earlier token the last position attends to most.

  --model <path>          Hugging Face folder, llama2.c file / folder, GGUF file, or a hub id
                          (org/name, hf:org/name@rev:Q4_K_M; see lmscope download)
  --prompt <text>         the text to inspect (special tokens added as the model expects)
  --layers <list>         attention layers to capture and draw, e.g. 0,2-3 (default all;
                          fewer layers take less memory)
  --layer <n>             layer of the head view (default: the last one drawn)
  --head <n>              head of the head view (default 0)
  --positions <a-b>       positions of the head view and the lens table (default: the last 48)
  --top-k <k>             next tokens listed (default 5)
  --out <dir>             where the files go (default lmscope-inspect)
  --json                  also write inspection.json: every number the pictures show
  --capture <name>        with --json, also record this capture point (repeatable; wildcards:
                          blocks.*.mlp.post; the names are in the README's "Look inside")
  --web                   serve the inspector page on 127.0.0.1 instead (Ctrl-C stops it)
  --port <n>              port of --web (default 8080; 0 picks a free one)
  --static-page <dir>     write the page as static files that load a GGUF model in the
                          browser (with --model <file.gguf>, a copy of it they open first)
  --tokenizer <path>      tokenizer file or folder (default: found beside the model)
  --backend <js|wasm|auto>, --threads <n>
`;

const DEFAULT_WINDOW = 48;
/** Captures written as JSON numbers: beyond this the file would be gigabytes. */
const MAX_CAPTURE_BYTES = 256e6;

export const inspectCommand: Command = {
  name: "inspect",
  summary: "draw attention, the logit lens and surprisal; --web serves the inspector page",
  usage,
  async run(argv, io) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        prompt: { type: "string" },
        layers: { type: "string" },
        layer: { type: "string" },
        head: { type: "string" },
        positions: { type: "string" },
        "top-k": { type: "string" },
        capture: { type: "string", multiple: true },
        out: { type: "string" },
        json: { type: "boolean" },
        web: { type: "boolean" },
        port: { type: "string" },
        "static-page": { type: "string" },
        tokenizer: { type: "string" },
        backend: { type: "string" },
        threads: { type: "string" },
      },
      false,
    );
    const staticDir = stringOption(values, "static-page");
    if (staticDir !== undefined) {
      const { writeStaticPage } = await import("../../web/static-page.js");
      const written = await writeStaticPage(staticDir, { model: stringOption(values, "model") });
      io.stdout.write(`wrote the inspector page to ${staticDir} (${written.files} files); serve the folder over HTTP and open ${written.open}\n`);
      return 0;
    }
    const model = await decoderFrom(values, io);
    if (values["web"] === true) return serve(model, values, io);
    if (values["prompt"] === undefined) throw new OptionError("--prompt", "is required (the text to inspect), unless --web is given");
    return draw(model, values, io);
  },
};

async function decoderFrom(values: Parsed["values"], io: CliIo): Promise<LanguageModel> {
  requiredString(values, "model");
  await resolveModelOption(values, io);
  const path = requiredString(values, "model");
  const tokenizer = stringOption(values, "tokenizer");
  const model = await loadModel<LanguageModel | EncoderModel | RnnLanguageModel>(path, {
    backend: await createBackend(backendFlags(values)),
    ...(tokenizer === undefined ? {} : { tokenizer }),
  });
  if (model.kind === "encoder") {
    throw new InputError(`${path} is an encoder (${model.config.architecture}): inspect draws decoders — the logit lens and next-token probabilities need a causal LM head`);
  }
  if (model.kind === "recurrent") throw new InputError(`${path} is a recurrent network: inspect draws transformer decoders (it has no attention to show)`);
  return model;
}

async function serve(model: LanguageModel, values: Parsed["values"], io: CliIo): Promise<number> {
  const { startInspectorServer } = await import("../../web/server.js");
  const port = numberOption(values, "port") ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError("--port", `expected a port number 0…65535, got ${port}`);
  const server = await startInspectorServer(model, { port });
  io.stdout.write(`lmscope inspector: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void server.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
}

async function draw(model: LanguageModel, values: Parsed["values"], io: CliIo): Promise<number> {
  const layers = model.config.numLayers;
  const attentionLayers = values["layers"] === undefined ? undefined : parseList(stringOption(values, "layers")!, "--layers", layers);
  const topK = numberOption(values, "top-k") ?? 5;
  if (!Number.isSafeInteger(topK) || topK < 1) throw new OptionError("--top-k", `expected a positive integer, got ${topK}`);
  const inspection = inspectPrompt(model, stringOption(values, "prompt")!, { topK, ...(attentionLayers === undefined ? {} : { attentionLayers }) });
  const seq = inspection.ids.length;
  const [start, end] = values["positions"] === undefined ? [Math.max(0, seq - DEFAULT_WINDOW), seq] : parseRange(stringOption(values, "positions")!, seq);
  const layer = numberOption(values, "layer") ?? inspection.attentionLayers[inspection.attentionLayers.length - 1]!;
  if (!inspection.attentionLayers.includes(layer)) {
    throw new OptionError("--layer", `layer ${layer} is not among the layers drawn (${inspection.attentionLayers.join(", ")})`);
  }
  const head = numberOption(values, "head") ?? 0;
  if (!Number.isInteger(head) || head < 0 || head >= model.config.numHeads) {
    throw new OptionError("--head", `head ${head} does not exist (the model has heads 0…${model.config.numHeads - 1})`);
  }

  const out = stringOption(values, "out") ?? "lmscope-inspect";
  await mkdir(out, { recursive: true });
  const files: [string, string][] = [
    ["attention-grid.svg", attentionGridSvg(inspection)],
    [`head-view-L${layer}-H${head}.svg`, headViewSvg(inspection, { layer, head, start, end })],
    ["logit-lens.svg", logitLensTableSvg(inspection, { start, end })],
    ["surprisal.svg", surprisalStripSvg(inspection)],
  ];
  const captureNames = (values["capture"] as string[] | undefined) ?? [];
  if (captureNames.length > 0 && values["json"] !== true) throw new OptionError("--capture", "the captures are written to inspection.json: add --json");
  if (values["json"] === true) files.push(["inspection.json", inspectionJson(model, inspection, await capturesOf(model, inspection.ids, captureNames))]);
  for (const [name, content] of files) await writeFile(join(out, name), content);
  io.stdout.write(summary(model, inspection, topK));
  io.stdout.write(`\nwrote ${files.map(([name]) => join(out, name)).join(", ")}\n`);
  return 0;
}

/** The text summary: the model, the next tokens, the last layer's most attended earlier tokens, the lens at the last position. */
export function summary(model: LanguageModel, inspection: PromptInspection, topK: number): string {
  const { tokens, positions, texts, attentions, attentionLayers, lens } = inspection;
  const c = model.config;
  const seq = tokens.length;
  const last = positions[seq - 1]!;
  const quote = (text: string) => JSON.stringify(displayToken(text));
  const lines = [
    `${c.modelType}: ${c.numLayers} layers × ${c.numHeads} heads, context ${c.contextLength}, vocabulary ${c.vocabSize}`,
    `prompt: ${seq} tokens${seq > 1 ? `, mean surprisal ${(positions.slice(0, -1).reduce((s, p) => s + p.next!.surprisalBits, 0) / (seq - 1)).toFixed(2)} bits` : ""}`,
    "",
    `next token after ${quote(tokens[seq - 1]!)} (entropy ${last.entropy.toFixed(2)} nats):`,
    ...last.top.slice(0, topK).map((t) => `  ${t.probability.toFixed(3)}  ${quote(texts[t.tokenId]!)}`),
  ];
  const mapIndex = attentionLayers.length - 1;
  if (mapIndex >= 0 && seq > 1) {
    const map = attentions[mapIndex]!;
    lines.push("", `most attended earlier token from the last position, layer ${attentionLayers[mapIndex]}:`);
    for (let head = 0; head < map.shape[1]!; head++) {
      const top = mostAttendedPrevious(map, head, seq - 1)!;
      lines.push(`  head ${String(head).padEnd(3)} ${top.weight.toFixed(3)}  ${quote(tokens[top.position]!)} (position ${top.position})`);
    }
  }
  lines.push("", "logit lens at the last position (most likely next token per layer):");
  for (let index = lens.length - 1; index >= 0; index--) {
    const best = lens[index]![seq - 1]!.top[0]!;
    lines.push(`  ${lensRowLabel(index, lens.length - 1).padEnd(11)} ${best.probability.toFixed(3)}  ${quote(texts[best.tokenId]!)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Everything as JSON: the model, the prompt's tokens, the distributions, the lens and every attention map. */
/** The named capture points of the prompt's run (an unknown name is the API's InputError, which lists the scheme). */
async function capturesOf(model: LanguageModel, ids: readonly number[], names: readonly string[]): Promise<Map<string, CapturedArray>> {
  if (names.length === 0) return new Map();
  const bytes = model.captureBytes(names, ids.length);
  if (bytes > MAX_CAPTURE_BYTES) throw new InputError(`the captures asked for take ${(bytes / 1e6).toFixed(1)} MB for ${ids.length} tokens, over ${MAX_CAPTURE_BYTES / 1e6} MB: name fewer points`);
  return (await model.forward([ids], { captures: names })).captures!;
}

function inspectionJson(model: LanguageModel, inspection: PromptInspection, captures: ReadonlyMap<string, CapturedArray>): string {
  const info = model.info();
  return JSON.stringify({
    model: { architecture: info.architecture, layers: info.layers, heads: info.heads, contextLength: info.contextLength, vocabSize: info.vocabSize, source: info.source.path },
    ids: inspection.ids,
    tokens: inspection.tokens,
    positions: inspection.positions,
    lens: inspection.lens,
    attentions: inspection.attentions.map((map, i) => ({ layer: inspection.attentionLayers[i], shape: map.shape, data: Array.from(map.data) })),
    texts: inspection.texts,
    ...(captures.size === 0 ? {} : { captures: Object.fromEntries([...captures].map(([name, array]) => [name, { shape: array.shape, data: Array.from(array.data) }])) }),
  });
}

/** "0,2-3" → [0, 2, 3], each within [0, count). */
function parseList(text: string, option: string, count: number): number[] {
  const chosen: number[] = [];
  for (const part of text.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (match === null) throw new OptionError(option, `expected numbers and ranges such as 0,2-3, got ${JSON.stringify(text)}`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from || to >= count) throw new OptionError(option, `${part.trim()} is outside 0…${count - 1}`);
    for (let i = from; i <= to; i++) chosen.push(i);
  }
  return chosen;
}

/** "a-b" (inclusive) → [a, b + 1), within the prompt. */
function parseRange(text: string, seq: number): [number, number] {
  const list = parseList(text, "--positions", seq);
  return [Math.min(...list), Math.max(...list) + 1];
}
