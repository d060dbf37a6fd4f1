// The hub page of the browser test: loads ?model= (a hub id) from the fake hub at
// ?endpoint= through lmscope's browser entry twice — the second time from the
// Cache API — and decodes greedily from BOS with each.
import { fetchModel } from "../../src/browser.js";
import { report } from "./report.js";

async function greedy(model: Awaited<ReturnType<typeof fetchModel>>): Promise<number[]> {
  const ids: number[] = [];
  for await (const piece of model.generate("", { maxTokens: 20, temperature: 0, stopOnEos: false })) if (piece.tokenId !== null) ids.push(piece.tokenId);
  return ids;
}

report(async () => {
  const params = new URLSearchParams(location.search);
  const hub = { endpoint: params.get("endpoint") ?? "" };
  const spec = params.get("model") ?? "";
  const first = await fetchModel(spec, { hub });
  const second = await fetchModel(spec, { hub });
  const cache = await caches.open("lmscope-hub");
  return {
    ids: await greedy(first),
    again: await greedy(second),
    source: first.info().source,
    cached: (await cache.keys()).map((request) => request.url),
  };
});
