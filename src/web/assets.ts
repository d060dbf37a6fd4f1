// What the inspector page is made of, for the server and for the static copy:
// the HTML shell, lmscope's compiled modules (dist/src, served under app/), and
// the npm packages the page imports by name, served under vendor/ and found by
// the page through an import map — nothing comes from a CDN.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/src: the compiled package (this file is dist/src/web/assets.js). */
export const PACKAGE_SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Module files the page may load from PACKAGE_SOURCE, by extension. */
export const MODULE_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
};

/** An npm package the page imports by name: its import-map name and its ES module file. */
export interface BrowserDependency {
  readonly name: string;
  /** The package's ES module entry, an absolute path. */
  readonly file: string;
  /** Where the page loads it from, relative to the page. */
  readonly url: string;
}

/** Bare names the page's modules import, and the package each is resolved from (its dependents' own copy). */
const BROWSER_IMPORTS: readonly { name: string; from?: string }[] = [
  { name: "@huggingface/jinja" },
  { name: "d3-scale-chromatic" },
  { name: "d3-interpolate", from: "d3-scale-chromatic" },
  { name: "d3-color", from: "d3-scale-chromatic" },
];

let resolved: BrowserDependency[] | undefined;

export function browserDependencies(): BrowserDependency[] {
  if (resolved !== undefined) return resolved;
  resolved = BROWSER_IMPORTS.map(({ name, from }) => {
    const root = packageDirectory(name, from === undefined ? fileURLToPath(import.meta.url) : join(packageDirectory(from, fileURLToPath(import.meta.url)), "package.json"));
    const file = esmEntry(root);
    return { name, file, url: `vendor/${name}/${relative(root, file).split(sep).join("/")}` };
  });
  return resolved;
}

/** The folder of package `name` as Node would find it from `from` (a file path). */
function packageDirectory(name: string, from: string): string {
  for (const folder of createRequire(from).resolve.paths(name) ?? []) {
    const candidate = join(folder, ...name.split("/"));
    if (existsSync(join(candidate, "package.json"))) return candidate;
  }
  throw new Error(`the inspector page needs the npm package ${name}, which is not installed`);
}

/** A package's ES module entry: exports' "import" or "default" condition, else "module", else "main". */
function esmEntry(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports?: unknown; module?: string; main?: string };
  const exports = manifest.exports as Record<string, unknown> | string | undefined;
  let target: unknown = typeof exports === "object" && exports !== null && "." in exports ? exports["."] : exports;
  while (typeof target === "object" && target !== null) {
    const conditions = target as Record<string, unknown>;
    target = conditions["import"] ?? conditions["default"] ?? conditions["module"];
  }
  return join(root, typeof target === "string" ? target : (manifest.module ?? manifest.main ?? "index.js"));
}

export interface PageOptions {
  /** The inspector server's API, relative to the page; absent on the static page. */
  readonly api?: string;
  /** A GGUF file the static page opens first, relative to the page. */
  readonly model?: string;
}

/** The HTML of the page: an import map for the dependencies, the page module, and what shows without scripts. */
export function pageHtml(options: PageOptions = {}): string {
  const imports = Object.fromEntries(browserDependencies().map((d) => [d.name, `./${d.url}`]));
  const data = [options.api === undefined ? "" : ` data-api="${attribute(options.api)}"`, options.model === undefined ? "" : ` data-model="${attribute(options.model)}"`].join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lmscope inspector</title>
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module" src="./app/web/page/main.js"></script>
</head>
<body${data}>
<noscript>The lmscope inspector needs JavaScript.</noscript>
<p id="boot">Loading the inspector…</p>
</body>
</html>
`;
}

function attribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The file under `root` that `relativePath` names, or undefined when it would leave root. */
export function fileInside(root: string, relativePath: string): string | undefined {
  if (relativePath.includes("\0") || relativePath.includes("\\")) return undefined;
  const segments = relativePath.split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) return undefined;
  const file = join(root, ...segments);
  return file.startsWith(root + sep) ? file : undefined;
}
