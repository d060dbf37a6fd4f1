// Inspection against Hugging Face transformers (../shared/fixtures/inspect and the
// qwen3/gemma2 model fixtures' inspection outputs): attention maps after softmax,
// hidden states (HF's convention: embeddings … after the final norm), the logit
// lens, and each position's top-5 and entropy — decoders and BERT, on the js and
// wasm backends, within the manifests' suggested tolerances.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel, type EncoderModel, type LanguageModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface TokenSummaryRef {
  top5_ids: number[][][];
  top5_probs: ArrayRef;
  entropy_nats: ArrayRef;
  min_gap_between_consecutive_top6_logits?: number;
}
interface InspectCase {
  inputs: { input_ids: number[][]; attention_mask?: number[][]; token_type_ids?: number[][] };
  outputs: {
    attentions: Record<string, ArrayRef>;
    hidden_states: Record<string, ArrayRef>;
    logit_lens?: Record<string, ArrayRef>;
    next_token?: TokenSummaryRef;
    mlm_token?: TokenSummaryRef;
  };
}

const ROOT = join(SHARED, "fixtures/inspect");
const index = readJson<{ models: { model: string; source_model: string }[] }>(join(ROOT, "index.json"));
const TOL = { attentions: 1e-5, hidden: 5e-5, lens: 2e-5, probs: 1e-5 };

function compareList(got: readonly { data: Float32Array; shape: readonly number[] }[] | undefined, refs: Record<string, ArrayRef>, dir: string, tol: number, what: string): void {
  assert.ok(got !== undefined, `${what} missing`);
  assert.equal(got.length, Object.keys(refs).length, `${what}: count`);
  for (const [i, ref] of Object.entries(refs)) {
    const array: { data: Float32Array; shape: readonly number[] } = got[Number(i)]!;
    assert.deepEqual([...array.shape], ref.shape, `${what}.${i} shape`);
    const diff = maxAbsDiff(array.data, readF32(join(dir, ref.file)));
    assert.ok(diff <= tol, `${what}.${i}: max |Δ| ${diff.toExponential(2)} > ${tol}`);
  }
}

/** Top-5 ids (where the logit gaps allow an order), probabilities and entropies of each position. */
function compareSummaries(summaries: { top: { tokenId: number; probability: number }[]; entropy: number }[], ref: TokenSummaryRef, row: number, dir: string): void {
  const probs = readF32(join(dir, ref.top5_probs.file));
  const entropy = readF32(join(dir, ref.entropy_nats.file));
  const seq = ref.top5_ids[row]!.length;
  summaries.forEach((s, t) => {
    assert.deepEqual(s.top.map((c) => c.tokenId), ref.top5_ids[row]![t], `position ${t}: top-5 ids`);
    s.top.forEach((c, j) => assert.ok(Math.abs(c.probability - probs[(row * seq + t) * 5 + j]!) <= TOL.probs, `position ${t} top ${j} probability`));
    assert.ok(Math.abs(s.entropy - entropy[row * seq + t]!) <= TOL.probs, `position ${t}: entropy ${s.entropy} vs ${entropy[row * seq + t]}`);
  });
}

for (const entry of index.models) {
  const dir = join(ROOT, entry.model);
  const modelDir = join(ROOT, entry.source_model);
  const c = readJson<{ cases: InspectCase[] }>(join(dir, "manifest.json")).cases[0]!;
  for (const backend of ["js", "wasm"] as const) {
    test(`${entry.model} (${backend}): attentions, hidden states${c.outputs.logit_lens === undefined ? "" : ", logit lens"} and token probabilities match transformers`, async () => {
      const model = await loadModel<LanguageModel | EncoderModel>(modelDir, { backend });
      const { input_ids, attention_mask, token_type_ids } = c.inputs;
      if (model.kind === "decoder") {
        const out = await model.forward(input_ids, { outputAttentions: true, outputHiddenStates: true });
        compareList(out.attentions, c.outputs.attentions, dir, TOL.attentions, "attentions");
        compareList(out.hiddenStates, c.outputs.hidden_states, dir, TOL.hidden, "hidden_states");
        const lens = await model.logitLens(input_ids[0]!);
        const layers = Object.keys(c.outputs.logit_lens!).length;
        const per = lens.data.length / layers;
        compareList(
          Array.from({ length: layers }, (_, i) => ({ data: lens.data.subarray(i * per, (i + 1) * per), shape: [1, ...lens.shape.slice(1)] })),
          c.outputs.logit_lens!,
          dir,
          TOL.lens,
          "logit_lens",
        );
        assert.ok(maxAbsDiff(lens.data.subarray((layers - 1) * per), out.data) === 0, "the lens's last layer is the logits");
        compareSummaries(await model.tokenProbabilities({ ids: input_ids[0]! }, { topK: 5 }), c.outputs.next_token!, 0, dir);
      } else {
        const out = await model.forward({ inputIds: input_ids, attentionMask: attention_mask, tokenTypeIds: token_type_ids }, { outputAttentions: true, outputHiddenStates: true });
        compareList(out.attentions, c.outputs.attentions, dir, TOL.attentions, "attentions");
        compareList(out.hiddenStates, c.outputs.hidden_states, dir, TOL.hidden, "hidden_states");
        for (let row = 0; row < input_ids.length; row++) {
          const summaries = await model.tokenProbabilities({ ids: input_ids[row]!, tokenTypeIds: token_type_ids![row]!, attentionMask: attention_mask![row]! }, { topK: 5 });
          compareSummaries(summaries, c.outputs.mlm_token!, row, dir);
        }
        await assert.rejects(model.logitLens(), /needs a decoder/);
      }
    });
  }
}

// The model fixtures of qwen3-tiny (GQA) and gemma2-tiny (sliding window, soft-capping)
// carry transformers' inspection outputs for forward_single_7.
for (const name of ["qwen3-tiny", "gemma2-tiny"]) {
  const dir = join(SHARED, "fixtures/models", name);
  const manifest = readJson<{ cases: { name: string; inputs: { input_ids: number[][] }; outputs: Record<string, ArrayRef> }[] }>(join(dir, "reference/manifest.json"));
  const c = manifest.cases.find((x) => x.name === "forward_single_7")!;
  for (const backend of ["js", "wasm"] as const) {
    test(`${name} (${backend}): attentions and hidden states match transformers`, async () => {
      const model = await loadModel(dir, { backend });
      const out = await model.forward(c.inputs.input_ids, { outputAttentions: true, outputHiddenStates: true });
      const pick = (prefix: string) =>
        Object.fromEntries(Object.entries(c.outputs).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), { ...v, file: join("reference", v.file) }]));
      compareList(out.attentions, pick("attentions."), dir, TOL.attentions, "attentions");
      compareList(out.hiddenStates, pick("hidden_states."), dir, TOL.hidden, "hidden_states");
    });
  }
}
