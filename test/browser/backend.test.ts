// The WASM backend in a real browser (Chromium, driven by playwright-core): a local
// HTTP server on 127.0.0.1 serves dist/ twice, once cross-origin isolated
// (COOP same-origin + COEP require-corp: SharedArrayBuffer, module Web Workers)
// and once plain (no SharedArrayBuffer: the stated single-thread fallback on an
// unshared memory). In each, the page runs test/browser/checks.ts: kernels against
// the js reference, and greedy decoding of a seeded random Llama, whose ids must
// equal the ids the same code gives in Node. `npm run test:browser`; skipped when
// no Chromium is installed (apt-get install chromium, or set CHROMIUM_PATH).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { runChecks, type BrowserReport } from "./checks.js";

const DIST = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p !== undefined && existsSync(p));
const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const PAGE = `<!doctype html><meta charset="utf-8"><title>lmscope browser test</title><script type="module" src="test/browser/page.js"></script>`;

/** Serves dist/ under /isolated/ (with the cross-origin isolation headers) and /plain/. */
function serve(): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const [, mode, ...rest] = url.pathname.split("/");
    const headers: Record<string, string> =
      mode === "isolated" ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {};
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { ...headers, "Content-Type": type });
      response.end(body);
    };
    if (url.pathname === "/favicon.ico") return send(204, "text/plain", "");
    if ((mode !== "isolated" && mode !== "plain") || rest.length === 0) return send(404, "text/plain", "not found");
    const relative = normalize(rest.join("/"));
    if (relative === "index.html") return send(200, TYPES[".html"]!, PAGE);
    if (relative.startsWith("..") || !relative.startsWith(join("test", "browser")) && !relative.startsWith("src")) {
      return send(404, "text/plain", "not found");
    }
    readFile(join(DIST, relative)).then(
      (body) => send(200, TYPES[extname(relative)] ?? "application/octet-stream", body),
      () => send(404, "text/plain", "not found"),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let server: Server;
let expected: BrowserReport;

before(async () => {
  if (CHROMIUM === undefined) return;
  server = await serve();
  expected = await runChecks(2);
});
after(() => server?.close());

for (const mode of ["isolated", "plain"] as const) {
  test(`${mode} page: WASM kernels match the js reference and greedy ids equal Node's`, { skip: CHROMIUM === undefined && "no Chromium installed" }, async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      });
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/${mode}/index.html`);
      await page.waitForFunction(() => "lmscopeReport" in globalThis || "lmscopeError" in globalThis, null, { timeout: 60_000 });
      const error = await page.evaluate(() => (globalThis as { lmscopeError?: string }).lmscopeError);
      assert.equal(error, undefined, `the page failed: ${error}`);
      const report = (await page.evaluate(() => (globalThis as { lmscopeReport?: unknown }).lmscopeReport)) as BrowserReport;
      assert.deepEqual(problems, []);
      assert.equal(report.backend, "wasm");
      if (mode === "isolated") {
        assert.equal(report.crossOriginIsolated, true);
        assert.equal(report.threads, 2, "two threads (module Web Workers over SharedArrayBuffer)");
        assert.equal(report.sharedMemory, true);
      } else {
        assert.equal(report.crossOriginIsolated, false);
        assert.equal(report.threads, 1, "the single-thread fallback without SharedArrayBuffer");
        assert.equal(report.sharedMemory, false);
      }
      for (const [kernel, error] of Object.entries(report.kernelErrors)) {
        assert.ok(error <= (kernel.includes("q") ? 2e-5 : 1e-5), `${kernel}: relative error ${error} against the js reference`);
      }
      assert.deepEqual(report.greedyIds, expected.greedyIds);
      assert.equal(report.greedyIds.length, 24);
    } finally {
      await browser.close();
    }
  });
}
