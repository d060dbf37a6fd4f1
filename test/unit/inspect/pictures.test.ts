// The SVG pictures of `lmscope inspect`: well-formed documents with one map per
// layer and head, one lens cell per hidden state and position, one box per token,
// lines only above the threshold — and token text, which can be any string
// ("<script>", quotes, control characters, a lone surrogate), always escaped to
// text. The pieces they are made of: pooling, heatmap paths, colours, token display.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mostAttendedPrevious, poolAttention } from "../../../src/inspect/attention-summary.js";
import { attentionGridSvg } from "../../../src/inspect/pictures/attention-grid.js";
import { colorTable, rgbOf, surprisalFill, textColorOn, attentionColor } from "../../../src/inspect/pictures/colors.js";
import { headViewSvg } from "../../../src/inspect/pictures/head-view.js";
import { heatmapPaths } from "../../../src/inspect/pictures/heatmap.js";
import { logitLensTableSvg } from "../../../src/inspect/pictures/logit-lens-table.js";
import { escapeXml } from "../../../src/inspect/pictures/svg.js";
import { surprisalStripSvg } from "../../../src/inspect/pictures/surprisal-strip.js";
import { inspectPrompt, type PromptInspection } from "../../../src/inspect/prompt-inspection.js";
import { displayToken } from "../../../src/inspect/token-texts.js";
import { inspectModel } from "../../helpers/inspect-model.js";
import { checkWellFormedXml } from "../../helpers/xml.js";

const HOSTILE = ["<script>alert(1)</script>", 'a "quoted" & \'single\'', "\u0000\u0001\u001b", "\ud800 lone", "line\nbreak\ttab", "]]><!--", "   "];

async function inspection(): Promise<PromptInspection> {
  return inspectPrompt(await inspectModel(), "the cab on the ab");
}

/** The inspection with every token text replaced by hostile strings. */
function hostile(original: PromptInspection): PromptInspection {
  const texts: Record<string, string> = {};
  for (const id of Object.keys(original.texts)) texts[id] = HOSTILE[Number(id) % HOSTILE.length]!;
  return { ...original, tokens: original.tokens.map((_, t) => HOSTILE[t % HOSTILE.length]!), texts };
}

function count(svg: string, pattern: RegExp): number {
  return svg.match(pattern)?.length ?? 0;
}

test("the attention grid has one map per captured layer and head, in order, each a heatmap of its pooled weights", async () => {
  const inspected = await inspection();
  const svg = attentionGridSvg(inspected);
  const names = checkWellFormedXml(svg);
  assert.equal(names[0], "svg");
  const maps = [...svg.matchAll(/<g class="map" data-layer="(\d+)" data-head="(\d+)">/g)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(maps, [0, 1, 2].flatMap((l) => [0, 1, 2, 3].map((h) => `${l}:${h}`)));
  assert.ok(count(svg, /<path d="M/g) >= 12, "every map draws cells");
  const some = attentionGridSvg({ ...inspected, attentionLayers: [2], attentions: [inspected.attentions[2]!] });
  assert.deepEqual([...some.matchAll(/data-layer="(\d+)"/g)].map((m) => m[1]), ["2", "2", "2", "2"]);
});

test("the head view draws a line for each weight above the threshold, and none below", async () => {
  const inspected = await inspection();
  const map = inspected.attentions[1]!;
  const seq = inspected.tokens.length;
  let expected = 0;
  for (let q = 0; q < seq; q++) for (let k = 0; k <= q; k++) if (map.data[(2 * seq + q) * seq + k]! >= 0.1) expected++;
  const svg = headViewSvg(inspected, { layer: 1, head: 2, threshold: 0.1 });
  checkWellFormedXml(svg);
  assert.equal(count(svg, /<line /g), expected);
  assert.equal(count(svg, /<text [^>]*font-family="monospace"/g), 2 * seq, "every token listed as query and as key");
  const window = headViewSvg(inspected, { layer: 1, head: 2, start: 2, end: 5, threshold: 0 });
  assert.equal(count(window, /<line /g), 6, "a window of 3 positions has 3 + 2 + 1 causal pairs");
  assert.throws(() => headViewSvg({ ...inspected, attentionLayers: [0], attentions: [inspected.attentions[0]!] }, { layer: 1, head: 0 }), /layer 1 was not captured/);
  assert.throws(() => headViewSvg(inspected, { layer: 1, head: 4 }), /head 4 does not exist/);
});

test("the logit lens table has a cell per hidden state and position showing the lens's top token, bold where it came next", async () => {
  const inspected = await inspection();
  const svg = logitLensTableSvg(inspected);
  checkWellFormedXml(svg);
  const seq = inspected.tokens.length;
  const cells = [...svg.matchAll(/<g class="cell" data-layer="(\d+)" data-position="(\d+)">.*?<text[^>]*>([^<]*)<\/text><\/g>/g)];
  assert.equal(cells.length, 4 * seq);
  for (const [whole, layer, position, shown] of cells) {
    const summary = inspected.lens[Number(layer)]![Number(position)]!;
    assert.equal(shown, escapeXml(displayToken(inspected.texts[summary.top[0]!.tokenId]!, 8)));
    assert.equal(whole.includes('font-weight="bold"'), summary.next?.tokenId === summary.top[0]!.tokenId);
  }
  const window = logitLensTableSvg(inspected, { start: 1, end: 3 });
  assert.equal(count(window, /<g class="cell"/g), 4 * 2);
});

test("the surprisal strip has a box per token coloured by the surprisal of the token, the first one grey", async () => {
  const inspected = await inspection();
  const svg = surprisalStripSvg(inspected);
  checkWellFormedXml(svg);
  const fills = [...svg.matchAll(/<g class="token" data-position="(\d+)">.*?<rect [^>]*fill="([^"]+)"/g)].map((m) => m[2]);
  assert.equal(fills.length, inspected.tokens.length);
  assert.equal(fills[0], "#e0e0e0");
  for (let t = 1; t < fills.length; t++) assert.equal(fills[t], surprisalFill(inspected.positions[t - 1]!.next!.surprisalBits, inspected.vocabSize));
});

test("token text of any kind is escaped: no markup, no forbidden character gets into a picture", async () => {
  const inspected = hostile(await inspection());
  for (const svg of [attentionGridSvg(inspected), headViewSvg(inspected, { layer: 0, head: 0, threshold: 0 }), logitLensTableSvg(inspected), surprisalStripSvg(inspected)]) {
    const names = checkWellFormedXml(svg);
    assert.ok(!names.includes("script"), "a token became a script element");
    assert.ok(!svg.includes("<script"), "raw <script in the picture");
    assert.ok(!svg.includes("<!--"), "raw comment opener in the picture");
  }
  assert.equal(escapeXml('<a href="x">&\'</a>'), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  assert.equal(escapeXml("a\u0000b\ud800c\udc00d\ud83d\ude00"), "a\ufffdb\ufffdc\ufffdd\ud83d\ude00", "pairs kept, lone halves and NUL replaced");
});

test("pooling keeps the largest weight of each block; the most attended earlier token skips the query itself", () => {
  const seq = 5;
  const data = new Float32Array(seq * seq); // one head
  const rows = [[1], [0.3, 0.7], [0.2, 0.5, 0.3], [0.1, 0.1, 0.2, 0.6], [0.4, 0.1, 0.1, 0.1, 0.3]];
  rows.forEach((row, q) => row.forEach((w, k) => (data[q * seq + k] = w)));
  const map = { data, shape: [1, 1, seq, seq] };
  const pooled = poolAttention(map, 0, 2);
  assert.deepEqual({ cells: pooled.cells, block: pooled.block }, { cells: 2, block: 3 });
  assert.deepEqual([...pooled.values].map((v) => Math.round(v * 10) / 10), [1, 0, 0.4, 0.6]);
  assert.deepEqual(poolAttention(map, 0, 10).values, data, "no pooling when the map fits");
  assert.equal(mostAttendedPrevious(map, 0, 0), null);
  assert.deepEqual(mostAttendedPrevious(map, 0, 1), { position: 0, weight: data[5] });
  assert.deepEqual(mostAttendedPrevious(map, 0, 3), { position: 2, weight: data[17] }, "not the query's own 0.6");
});

test("heatmap paths: one path per level in use, cells merged into runs, values under half a level left blank", () => {
  const values = [0, 1, 1, 0.5, 0.01, 0.5];
  const svg = heatmapPaths(values, 2, 3, { x: 10, y: 20, cellWidth: 4, cellHeight: 5 }, attentionColor, 4);
  checkWellFormedXml(`<svg>${svg}</svg>`);
  assert.match(svg, /translate\(10 20\) scale\(4\.0000 5\.0000\)/);
  assert.match(svg, new RegExp(`<path d="M1 0h2v1h-2z" fill="${attentionColor(1)}"/>`));
  assert.match(svg, new RegExp(`<path d="M0 1h1v1h-1zM2 1h1v1h-1z" fill="${attentionColor(0.5)}"/>`));
  assert.equal(count(svg, /<path/g), 2);
  assert.equal(heatmapPaths([0, 0.001], 1, 2, { x: 0, y: 0, cellWidth: 1, cellHeight: 1 }, attentionColor), "");
});

test("colours: hex and rgb() parse, tables hold the scale, text stays readable, the surprisal scale ends at log2(vocab)", () => {
  assert.deepEqual(rgbOf("#0a0B0c"), [10, 11, 12]);
  assert.deepEqual(rgbOf("rgb(1, 2, 3)"), [1, 2, 3]);
  assert.throws(() => rgbOf("blue"), /not a colour/);
  const table = colorTable(attentionColor, 3);
  assert.deepEqual([...table.subarray(8, 12)], [...rgbOf(attentionColor(1)), 255]);
  assert.equal(textColorOn(attentionColor(0)), "#000000");
  assert.equal(textColorOn(attentionColor(1)), "#ffffff");
  assert.equal(surprisalFill(8, 256), surprisalFill(100, 256), "clamped at the uniform guess");
  assert.notEqual(surprisalFill(0, 256), surprisalFill(8, 256));
});

test("token display: control characters visible, whitespace-only tokens as ␣, long tokens cut", () => {
  assert.equal(displayToken("a\nb\tc\u0000\u007f"), "a↵b⇥c\u2400\u2421");
  assert.equal(displayToken("  "), "␣␣");
  assert.equal(displayToken(" the"), " the");
  assert.equal(displayToken("abcdefghij", 5), "abcd…");
  assert.equal(displayToken("😀😀😀", 2), "😀…", "cut by characters, not UTF-16 units");
});
