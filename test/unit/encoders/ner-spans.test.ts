// NER spans: every token and entity points at exactly the right characters of
// the original text, with accents (composed or not), case, CJK, emoji, unknown
// words and control characters; B-/I- grouping as HF's aggregation strategies.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { nerCommand } from "../../../src/cli/commands/ner.js";
import { loadEncoderModel, type EncoderModel } from "../../../src/encoder-model.js";
import { aggregateEntities, type ScoredToken } from "../../../src/pipelines/ner.js";
import { alignTokenSpans } from "../../../src/pipelines/token-spans.js";
import { captureIo } from "../../helpers/capture.js";
import { NER_LABELS, writeRandomBert } from "./random-bert.js";

let model: EncoderModel;
let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await writeRandomBert("BertForTokenClassification"));
  model = await loadEncoderModel(dir);
});
after(async () => cleanup());

/** Each token's vocabulary piece and the original text its span covers (null: not in the text). */
function spansOf(text: string, tokenizer = model.tokenizer): [string, string | null][] {
  const ids = tokenizer.encode(text);
  return alignTokenSpans(tokenizer, text, ids).map((span, i) => [tokenizer.idToToken(ids[i]!)!, span === null ? null : text.slice(span.start, span.end)]);
}

test("token spans recover the original characters: accents, case, CJK", () => {
  assert.deepEqual(spansOf("José visited 東京 with Zoë"), [
    ["[CLS]", null],
    ["jose", "José"],
    ["visited", "visited"],
    ["東", "東"],
    ["京", "京"],
    ["with", "with"],
    ["zo", "Zo"],
    ["##e", "ë"],
    ["[SEP]", null],
  ]);
  // Decomposed accents, extra spaces, upper case, punctuation glued to words.
  assert.deepEqual(spansOf("JOSE\u0301  visited 東京, with ZOË!").slice(1, -1), [
    ["jose", "JOSE\u0301"],
    ["visited", "visited"],
    ["東", "東"],
    ["京", "京"],
    [",", ","],
    ["with", "with"],
    ["zo", "ZO"],
    ["##e", "Ë"],
    ["!", "!"],
  ]);
});

test("token spans of unknown words, emoji (surrogate pairs) and control characters", () => {
  const text = "x\u0000y £ 🙂 paris\tis\ncapital";
  assert.deepEqual(spansOf(text).slice(1, -1), [
    ["x", "x\u0000"],
    ["##y", "y"],
    ["[UNK]", "£"],
    ["[UNK]", "🙂"],
    ["paris", "paris"],
    ["is", "is"],
    ["capital", "capital"],
  ]);
  // A literal [MASK] is cut out of the raw text and keeps its place.
  assert.deepEqual(spansOf("the [MASK] sat").slice(1, -1), [
    ["the", "the"],
    ["[MASK]", "[MASK]"],
    ["sat", "sat"],
  ]);
});

test("a cased vocabulary (no lowercasing, accents kept) aligns the same way", async () => {
  const cased = await writeRandomBert("BertForTokenClassification", { tokenizerConfig: { do_lower_case: false } });
  try {
    const m = await loadEncoderModel(cased.dir);
    // "José" is not in the (lowercase) vocab as written: it splits into pieces or [UNK], each mapped back.
    const spans = spansOf("José visited 東京", m.tokenizer).slice(1, -1);
    const covered = spans.map(([, s]) => s).join("");
    assert.equal(covered.replace(/\s/g, ""), "Josévisited東京");
  } finally {
    await cased.cleanup();
  }
});

/** A token whose probabilities put `p` on `label`, the rest spread evenly. */
function scored(start: number, end: number, label: string, p = 0.9, continuation = false): ScoredToken {
  const probabilities = NER_LABELS.map((l) => (l === label ? p : (1 - p) / (NER_LABELS.length - 1)));
  return { span: { start, end }, continuation, probabilities };
}

test("entities group B-/I- tags and keep the original text's spans (José visited 東京 with Zoë)", () => {
  const text = "José visited 東京 with Zoë";
  const tokens = [
    scored(0, 4, "B-PER"), // jose
    scored(5, 12, "O"), // visited
    scored(13, 14, "B-LOC", 0.8), // 東
    scored(14, 15, "I-LOC", 0.6), // 京
    scored(16, 20, "O"), // with
    scored(21, 23, "B-PER"), // zo
    scored(23, 24, "I-PER", 0.7, true), // ##e
  ];
  const entities = aggregateEntities(text, tokens, NER_LABELS, "simple");
  assert.deepEqual(
    entities.map((e) => [e.entityGroup, e.word, e.start, e.end]),
    [
      ["PER", "José", 0, 4],
      ["LOC", "東京", 13, 15],
      ["PER", "Zoë", 21, 24],
    ],
  );
  assert.ok(Math.abs(entities[1]!.score - 0.7) < 1e-12); // mean of 0.8 and 0.6
  for (const e of entities) assert.equal(text.slice(e.start, e.end), e.word);

  // "first": the continuation takes the word's first label even when its own differs.
  const disagreeing = [...tokens.slice(0, 6), scored(23, 24, "O", 0.9, true)];
  assert.deepEqual(
    aggregateEntities(text, disagreeing, NER_LABELS, "first").map((e) => e.word),
    ["José", "東京", "Zoë"],
  );
  assert.deepEqual(
    aggregateEntities(text, disagreeing, NER_LABELS, "simple").map((e) => e.word),
    ["José", "東京", "Zo"],
  );
  // "none": each labelled token alone, with its full tag.
  assert.deepEqual(
    aggregateEntities(text, tokens, NER_LABELS, "none").map((e) => [e.entityGroup, e.word]),
    [
      ["B-PER", "José"],
      ["B-LOC", "東"],
      ["I-LOC", "京"],
      ["B-PER", "Zo"],
      ["I-PER", "ë"],
    ],
  );
  // A B- tag starts a new entity even after the same type; I- of another type too.
  const split = aggregateEntities("ab", [scored(0, 1, "B-PER"), scored(1, 2, "B-PER")], NER_LABELS, "simple");
  assert.equal(split.length, 2);
  const typeChange = aggregateEntities("ab", [scored(0, 1, "B-PER"), scored(1, 2, "I-LOC")], NER_LABELS, "simple");
  assert.deepEqual(typeChange.map((e) => e.entityGroup), ["PER", "LOC"]);
});

test("model.ner end to end: every entity's word is exactly the text at its span", async () => {
  for (const text of ["José visited 東京 with Zoë", "JOSE\u0301 lives in london, paris & 東京!", "🙂 zoë reads old books"]) {
    for (const aggregation of ["none", "simple", "first"] as const) {
      const entities = await model.ner(text, { aggregation });
      for (const e of entities) {
        assert.equal(e.word, text.slice(e.start, e.end), `${aggregation} ${JSON.stringify(text)}`);
        assert.ok(e.score > 0 && e.score <= 1);
        assert.ok(aggregation === "none" ? NER_LABELS.includes(e.entityGroup) : ["PER", "LOC"].includes(e.entityGroup));
      }
    }
  }
  const none = await model.ner("José visited 東京 with Zoë", { aggregation: "none" });
  const starts = new Set([0, 5, 13, 14, 16, 21, 23]);
  for (const e of none) assert.ok(starts.has(e.start), `token span starts at ${e.start}`);
});

test("lmscope ner prints each entity's type, score, span and text", async () => {
  const text = "José visited 東京 with Zoë";
  const io = captureIo();
  assert.equal(await nerCommand.run(["--model", dir, "--aggregation", "none", text], io), 0, io.stderr.text);
  const expected = await model.ner(text, { aggregation: "none" });
  const lines = io.stdout.text.trim().split("\n");
  assert.equal(lines.length, Math.max(expected.length, 1));
  expected.forEach((e, i) => {
    const m = /^(\S+)\s+([\d.]+)\s+\[(\d+), (\d+)\)\s+(".*")$/.exec(lines[i]!);
    assert.ok(m !== null, lines[i]);
    assert.equal(m[1], e.entityGroup);
    assert.equal(JSON.parse(m[5]!), text.slice(Number(m[3]), Number(m[4])));
  });
  const json = captureIo();
  assert.equal(await nerCommand.run(["--model", dir, "--json", text], json), 0);
  assert.deepEqual(JSON.parse(json.stdout.text), await model.ner(text));
  await assert.rejects(nerCommand.run(["--model", dir, "--aggregation", "max", text], captureIo()), /aggregation.*"none", "simple" or "first"/);
});
