// What the inspector page is made of, for the server and for the static copy:
// the HTML shell, lmscope's compiled modules (dist/src, served under app/), and
// the npm packages the page imports by name, served under vendor/ and found by
// the page through an import map — nothing comes from a CDN.

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
  { name: "d3-scale-chromatic" },
  { name: "d3-interpolate", from: "d3-scale-chromatic" },
  { name: "d3-color", from: "d3-scale-chromatic" },
];

let resolved: BrowserDependency[] | undefined;

export function browserDependencies(): BrowserDependency[] {
  if (resolved !== undefined) return resolved;
  const ours = createRequire(import.meta.url);
  resolved = BROWSER_IMPORTS.map(({ name, from }) => {
    const require = from === undefined ? ours : createRequire(ours.resolve(from));
    const file = require.resolve(name);
    const packageRoot = packageRootOf(file, name);
    return { name, file, url: `vendor/${name}/${relative(packageRoot, file).split(sep).join("/")}` };
  });
  return resolved;
}

function packageRootOf(file: string, name: string): string {
  const marker = `${sep}node_modules${sep}${name.split("/").join(sep)}${sep}`;
  const at = file.lastIndexOf(marker);
  return at === -1 ? dirname(file) : file.slice(0, at + marker.length - 1);
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
