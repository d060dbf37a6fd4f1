// The model page of the browser test: loads the GGUF named by ?model= through
// lmscope's browser entry (fetchModel), decodes greedily from BOS, and tries the
// two ways loading can fail (a missing URL, bytes that are not a whole GGUF).
import { fetchModel, loadModelFromGguf, ModelFormatError } from "../../src/browser.js";
import { report } from "./report.js";

async function failure(load: () => Promise<unknown>): Promise<string> {
  try {
    await load();
    return "loaded";
  } catch (error) {
    return error instanceof ModelFormatError ? error.message : `not a ModelFormatError: ${String(error)}`;
  }
}

report(async () => {
  const url = new URLSearchParams(location.search).get("model") ?? "";
  const model = await fetchModel(url);
  const ids: number[] = [];
  let text = "";
  for await (const piece of model.generate("", { maxTokens: 299, temperature: 0, stopOnEos: false })) {
    if (piece.tokenId !== null) ids.push(piece.tokenId);
    if (ids.length <= 200) text += piece.text;
  }
  return {
    ids,
    text,
    source: model.info().source,
    missing: await failure(() => fetchModel("missing.gguf")),
    truncated: await failure(() => loadModelFromGguf(new Uint8Array([71, 71, 85, 70, 3, 0, 0, 0, 1]), { name: "truncated.gguf" })),
  };
});
