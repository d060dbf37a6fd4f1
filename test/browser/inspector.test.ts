// The inspector page in real Chromium, on stories260K: served by the inspector
// server (the model runs in Node), a prompt typed in, the attention thumbnails,
// the selected head's heatmap and head view and the logit lens drawn with
// content, head 2 of layer 4 ablated and P(" she") seen to drop, the sampling
// controls re-sampling, a screenshot saved (dist/screenshots/inspector.png);
// the errors (an empty prompt, one longer than the context) shown on the page;
// switching heads on a 510-token prompt timed; and the same page as static files
// running stories260K's GGUF in the browser, and its failed load shown.
// Skipped without Chromium (see backend.test.ts).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { loadModel } from "../../src/language-model.js";
import { fileInside } from "../../src/web/assets.js";
import { startInspectorServer, type InspectorServer } from "../../src/web/server.js";
import { writeStaticPage } from "../../src/web/static-page.js";
import { REPO_ROOT, SHARED } from "../helpers/paths.js";
import { CHROMIUM } from "./harness.js";

const STORIES = join(SHARED, "models/stories260K");
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,";
const SCREENSHOTS = join(REPO_ROOT, "dist", "screenshots");
const skip = CHROMIUM === undefined && "no Chromium installed";

let browser: Browser;
let inspector: InspectorServer;
let staticServer: Server;
let staticDir: string;

before(async () => {
  if (CHROMIUM === undefined) return;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  inspector = await startInspectorServer(await loadModel(join(STORIES, "hf")), { port: 0, name: "stories260K" });
  staticDir = mkdtempSync(join(tmpdir(), "lmscope-static-page-"));
  await writeStaticPage(staticDir, { model: join(STORIES, "gguf/stories260K-f32.gguf") });
  staticServer = await serveFolder(staticDir);
});
after(async () => {
  await browser?.close();
  await inspector?.close();
  staticServer?.close();
  if (staticDir !== undefined) rmSync(staticDir, { recursive: true, force: true });
});

/** A plain static file server for a folder (no lmscope API), on 127.0.0.1. */
function serveFolder(root: string): Promise<Server> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname.slice(1));
    const file = fileInside(root, path);
    if (file === undefined) return void response.writeHead(404).end();
    readFile(file).then(
      (body) => response.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** A page that fails the test on a script error or a console error other than an expected missing file. */
async function open(url: string, expectedMissing = ""): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !(expectedMissing !== "" && message.text().includes("404"))) problems.push(message.text());
  });
  await page.goto(url);
  return { page, problems };
}

async function settled(page: Page): Promise<string> {
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset["state"] ?? ""), null, { timeout: 120_000 });
  return page.evaluate(() => document.body.dataset["state"]!);
}

async function inspect(page: Page, prompt: string): Promise<string> {
  await page.fill("textarea[name=prompt]", prompt);
  await page.click(".prompt-form button[type=submit]");
  await page.waitForFunction(() => document.body.dataset["state"] === "busy" || document.body.dataset["state"] === "error", null, { timeout: 10_000 }).catch(() => {});
  return settled(page);
}

/** Pixels of a canvas that are not (near) white. */
function inked(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    (canvases as HTMLCanvasElement[]).map((canvas) => {
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3]! > 0 && (pixels[i]! < 235 || pixels[i + 1]! < 235 || pixels[i + 2]! < 235)) count++;
      return count;
    }),
  );
}

/** Clean and ablated probability of a next token in the table, as fractions. */
async function nextTokenRow(page: Page, token: string): Promise<number[]> {
  const cells = await page.$$eval("[data-testid=next-tokens] tr", (rows, wanted) => {
    const row = rows.find((r) => r.querySelector("td")?.textContent === wanted);
    return row === undefined ? [] : Array.from(row.querySelectorAll("td.number")).map((cell) => cell.textContent ?? "");
  }, JSON.stringify(token));
  return cells.filter((text) => text.endsWith("%")).map((text) => Number(text.replace(/[^\d.]/g, "")) / 100);
}

/** The views drawn for stories260K (5 layers × 8 heads) and a prompt of `seq` tokens. */
async function checkViews(page: Page, seq: number): Promise<void> {
  assert.equal(await page.locator("[data-testid=tokens] .token").count(), seq);
  const thumbs = await inked(page, ".thumb canvas");
  assert.equal(thumbs.length, 40);
  assert.ok(thumbs.every((n) => n > 0), `every thumbnail has ink: ${thumbs}`);
  const [heatmap] = await inked(page, "[data-testid=heatmap]");
  assert.ok(heatmap! >= seq, `the heatmap has ink (${heatmap} pixels)`);
  const [lines] = await inked(page, "[data-testid=head-view]");
  assert.ok(lines! > 1000, `the head view has lines and labels (${lines} pixels)`);
  assert.equal(await page.locator("[data-testid=lens] td").count(), 6 * seq);
  const lensTexts = await page.$$eval("[data-testid=lens] td", (cells) => cells.map((c) => c.textContent ?? ""));
  assert.ok(lensTexts.every((t) => t.length > 0), "every lens cell names a token");
}

test("served page: a prompt's views render with content; ablating layer 4 head 2 lowers P(' she'); the controls re-sample; screenshot", { skip }, async () => {
  const { page, problems } = await open(inspector.url);
  assert.equal(await settled(page), "ready");
  assert.match((await page.textContent("[data-testid=model]"))!, /stories260K — llama, 5 layers × 8 heads, context 512, vocabulary 512; runs in the server/);
  assert.equal(await inspect(page, PROMPT), "ready");
  await page.waitForFunction(() => document.body.dataset["generation"] === "ready");
  await checkViews(page, 35);
  const [clean] = await nextTokenRow(page, " she");
  assert.ok(clean! > 0.6, `clean P(she) ${clean}`);
  assert.ok((await page.locator("[data-testid=timeline] .step").count()) > 0, "the timeline shows steps");

  await page.click('.thumb[data-layer="4"][data-head="2"] .ablate');
  assert.equal(await settled(page), "ready");
  const [before, ablated] = await nextTokenRow(page, " she");
  assert.equal(before, clean);
  assert.ok(ablated! < 0.45, `ablated P(she) ${ablated}`);
  assert.match((await page.textContent("[data-testid=ablations]"))!, /Ablated: layer 4 head 2/);
  assert.equal(await page.getAttribute('.thumb[data-layer="4"][data-head="2"] .ablate', "aria-pressed"), "true");

  await page.click('.thumb[data-layer="1"][data-head="3"]');
  assert.match((await page.textContent(".detail-title"))!, /Layer 1, head 3/);
  await page.fill("input[name=temperature]", "0");
  await page.waitForFunction(() => document.querySelector("[data-testid=timeline] .step .hint")?.textContent?.startsWith("greedy") === true, null, { timeout: 30_000 });
  await page.waitForFunction(() => document.body.dataset["generation"] === "ready");
  await page.fill("input[name=temperature]", "0.8");
  await page.fill("input[name=topK]", "5");
  await page.waitForFunction(() => Array.from(document.querySelectorAll("[data-testid=timeline] .candidate.removed .cut")).some((c) => c.textContent === "top-k"), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.body.dataset["generation"] === "ready");
  const kept = await page.$$eval("[data-testid=timeline] .step", (steps) => steps.map((step) => step.querySelectorAll(".candidate:not(.removed)").length));
  assert.ok(kept.every((n) => n >= 1 && n <= 5), `top-k 5 keeps at most 5 candidates per step: ${kept}`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, "inspector.png"), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("served page: an empty prompt and one longer than the context are errors on the page, which keeps working", { skip }, async () => {
  const { page, problems } = await open(inspector.url);
  await settled(page);
  assert.equal(await inspect(page, ""), "error");
  assert.equal(await page.textContent("[data-testid=error]"), "the prompt is empty: type some text to inspect");
  assert.equal(await inspect(page, "Once upon a time ".repeat(200)), "error");
  assert.match((await page.textContent("[data-testid=error]"))!, /^the prompt has 802 tokens, more than the model's context window of 512: shorten it/);
  assert.ok(await page.isVisible("textarea[name=prompt]"), "the page is still there");
  assert.equal(await inspect(page, "Once upon a time"), "ready");
  assert.ok(await page.isHidden("[data-testid=error]"));
  assert.deepEqual(problems.filter((p) => !p.includes("400")), []);
  await page.close();
});

test("served page: on a 510-token prompt, switching the layer and head takes well under a second", { skip }, async () => {
  const { page } = await open(inspector.url);
  await settled(page);
  assert.equal(await inspect(page, "Once upon a time ".repeat(127)), "ready");
  assert.equal(await page.locator("[data-testid=tokens] .token").count(), 510);
  const times = await page.evaluate(async () => {
    const measured: number[] = [];
    for (const [layer, head] of [[0, 1], [3, 5], [4, 7], [2, 0]]) {
      const start = performance.now();
      document.querySelector<HTMLElement>(`.thumb[data-layer="${layer}"][data-head="${head}"]`)!.click();
      await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      measured.push(performance.now() - start);
    }
    return measured;
  });
  process.stdout.write(`# switching heads on 510 tokens: ${times.map((t) => t.toFixed(0)).join(", ")} ms\n`);
  assert.ok(Math.max(...times) < 500, `switches took ${times.join(", ")} ms`);
  assert.match((await page.textContent(".detail-title"))!, /Layer 2, head 0/);
  await page.close();
});

test("static page: stories260K's GGUF runs in the browser; the views render; the ablation lowers P(' she') as in Node", { skip }, async () => {
  const { port } = staticServer.address() as AddressInfo;
  const { page, problems } = await open(`http://127.0.0.1:${port}/index.html`);
  assert.equal(await settled(page), "ready");
  assert.match((await page.textContent("[data-testid=model]"))!, /stories260K-f32\.gguf — llama, 5 layers × 8 heads.*runs in the browser/);
  assert.equal(await inspect(page, PROMPT), "ready");
  await checkViews(page, 35);
  await page.click('.thumb[data-layer="4"][data-head="2"] .ablate');
  assert.equal(await settled(page), "ready");
  const [clean, ablated] = await nextTokenRow(page, " she");
  assert.ok(clean! > 0.6 && ablated! < 0.45, `P(she) ${clean} → ${ablated}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("static page: a model that cannot be fetched is an error on the page", { skip }, async () => {
  const { port } = staticServer.address() as AddressInfo;
  const { page } = await open(`http://127.0.0.1:${port}/index.html?model=missing.gguf`, "missing.gguf");
  assert.equal(await settled(page), "error");
  assert.match((await page.textContent("[data-testid=error]"))!, /^missing\.gguf: could not be fetched: HTTP 404/);
  await page.close();
});
