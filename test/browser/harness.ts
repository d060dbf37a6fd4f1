// What the browser tests share: finding Chromium, a local HTTP server on 127.0.0.1
// that serves dist/ twice — under /isolated/ with COOP same-origin + COEP
// require-corp (cross-origin isolated: SharedArrayBuffer, threads) and under /plain/
// without — plus named extra files and the npm dependencies (through an import map),
// and running a page module until it leaves
// `lmscopeReport` (or `lmscopeError`) on globalThis.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../..", import.meta.url));
/** npm dependencies the pages import by name, mapped by the page's import map to files served from node_modules. */
const DEPENDENCIES: Record<string, string> = { "@huggingface/jinja": "node_modules/@huggingface/jinja/dist/index.js" };
const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/** Chromium's executable (CHROMIUM_PATH, or Debian's), or undefined when there is none. */
export const CHROMIUM = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p) => p !== undefined && existsSync(p),
);

export type Mode = "isolated" | "plain";

/** Serves dist/src and dist/test/browser, `extra` files by name, and `<page>.html` running dist/test/browser/<page>.js. */
export function serve(extra: Record<string, string> = {}): Promise<Server> {
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
    const page = /^([a-z-]+)\.html$/.exec(relative);
    if (page !== null) {
      const importMap = JSON.stringify({ imports: Object.fromEntries(Object.entries(DEPENDENCIES).map(([name, path]) => [name, `./${path}`])) });
      const html =
        `<!doctype html><meta charset="utf-8"><title>lmscope browser test</title><script type="importmap">${importMap}</script>` +
        `<script type="module" src="test/browser/${page[1]}.js"></script>`;
      return send(200, TYPES[".html"]!, html);
    }
    const dependency = Object.values(DEPENDENCIES).includes(relative) ? join(DIST, "..", relative) : undefined;
    const file = extra[relative] ?? dependency ?? (relative.startsWith("src") || relative.startsWith(join("test", "browser")) ? join(DIST, relative) : undefined);
    if (file === undefined || relative.startsWith("..")) return send(404, "text/plain", "not found");
    readFile(file).then(
      (body) => send(200, TYPES[extname(relative)] ?? "application/octet-stream", body),
      () => send(404, "text/plain", "not found"),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Opens `<page>.html` (query `search`) in headless Chromium and returns the report the
 * page module leaves; fails on a page error, a console error or a failed request
 * other than those `expectedMissing` names.
 */
export async function runPage<T>(server: Server, mode: Mode, page: string, search = "", expectedMissing: string[] = []): Promise<T> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
  try {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on("pageerror", (error) => problems.push(error.message));
    tab.on("response", (response) => {
      if (response.status() >= 400 && !expectedMissing.some((name) => response.url().endsWith(name))) {
        problems.push(`${response.status()} ${response.url()}`);
      }
    });
    tab.on("console", (message) => {
      if (message.type() === "error" && !message.text().includes("404")) problems.push(message.text());
    });
    const { port } = server.address() as AddressInfo;
    await tab.goto(`http://127.0.0.1:${port}/${mode}/${page}.html${search}`);
    await tab.waitForFunction(() => "lmscopeReport" in globalThis || "lmscopeError" in globalThis, null, { timeout: 120_000 });
    const error = await tab.evaluate(() => (globalThis as { lmscopeError?: string }).lmscopeError);
    if (error !== undefined) throw new Error(`the page failed: ${error}`);
    if (problems.length > 0) throw new Error(`the page reported problems: ${problems.join("; ")}`);
    return (await tab.evaluate(() => (globalThis as { lmscopeReport?: unknown }).lmscopeReport)) as T;
  } finally {
    await browser.close();
  }
}
