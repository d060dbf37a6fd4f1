// The inspector page as static files: index.html, lmscope's compiled modules
// (app/) and the page's npm dependencies (vendor/) — a folder any HTTP server can
// host, where the page loads a GGUF file and runs the model itself in the
// browser (lmscope/browser). Given a model, a copy of it goes beside the page and
// the page opens it first.

import { copyFile, mkdir, open, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, relative } from "node:path";
import { InputError } from "../errors.js";
import { browserDependencies, MODULE_TYPES, PACKAGE_SOURCE, pageHtml } from "./assets.js";

export interface StaticPageOptions {
  /** A GGUF file to copy beside the page and open first. */
  readonly model?: string | undefined;
}

export async function writeStaticPage(dir: string, options: StaticPageOptions = {}): Promise<{ files: number; open: string }> {
  const model = options.model === undefined ? undefined : await checkGguf(options.model);
  let files = 0;
  const copy = async (from: string, to: string) => {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
    files++;
  };
  for (const file of await modulesUnder(PACKAGE_SOURCE)) await copy(file, join(dir, "app", relative(PACKAGE_SOURCE, file)));
  for (const dependency of browserDependencies()) await copy(dependency.file, join(dir, ...dependency.url.split("/")));
  const modelName = model === undefined ? undefined : basename(model);
  if (model !== undefined) await copy(model, join(dir, modelName!));
  await writeFile(join(dir, "index.html"), pageHtml(modelName === undefined ? {} : { model: modelName }));
  files++;
  return { files, open: "index.html" };
}

/** The .js and .wasm files under a folder, recursively. */
async function modulesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await modulesUnder(path)));
    else if (entry.isFile() && MODULE_TYPES[extname(entry.name)] !== undefined) found.push(path);
  }
  return found;
}

/** The path of a GGUF file, or an InputError saying what the static page can run. */
async function checkGguf(path: string): Promise<string> {
  const handle = await open(path, "r").catch(() => {
    throw new InputError(`${path}: no such file (the static page runs a GGUF file)`);
  });
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0).catch(() => ({ bytesRead: 0 }));
    if (bytesRead < 4 || magic.toString("latin1") !== "GGUF") {
      throw new InputError(`${path} is not a GGUF file: the static page runs GGUF files in the browser (lmscope quantize --type f32 <model> <out.gguf> writes one)`);
    }
  } finally {
    await handle.close();
  }
  return path;
}
