// Unigram tokenizer conformance against ../shared/fixtures/tokenizers/unigram-*
// (SentencePiece models converted to tokenizer.json by transformers, with the
// expected outputs of huggingface/tokenizers and of sentencepiece itself).
// tokenizer.json: every line's ids, decoded text (with and without special
// tokens, whole and streamed) and offsets are Hugging Face's. The .model file:
// with special-token text encoded as text, every line's ids are
// sentencepiece's; by default the special tokens are cut out first, as
// transformers' tokenizers do, which gives Hugging Face's ids on those lines.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HfTokenizer, loadTokenizer, type TextTokenizer } from "../../src/tokenizers/index.js";
import { SHARED } from "../helpers/paths.js";

const FIXTURES = join(SHARED, "fixtures/tokenizers");

interface UnigramLine {
  id: string;
  text: string;
  ids: number[];
  offsets: [number, number][];
  decoded: string;
  decoded_skip_special: string;
  spm_ids: number[];
  spm_decoded: string;
  notes?: string[];
  transformers_v5_ids?: number[];
}

async function jsonLines<T>(path: string): Promise<T[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

function streamDecode(tok: TextTokenizer, ids: readonly number[], options = {}): string {
  const stream = tok.decodeStream(options);
  let text = "";
  for (const id of ids) text += stream.push(id);
  return text + stream.flush();
}

/** A code-point offset of `text` (Python string index) as a UTF-16 offset. */
function utf16Offset(text: string, codePoint: number): number {
  let units = 0;
  let seen = 0;
  for (const ch of text) {
    if (seen === codePoint) break;
    units += ch.length;
    seen++;
  }
  return units;
}

/** Lines whose text holds special-token strings, which the two references treat differently (the fixture's notes say so). */
function hasSpecialTokenText(line: UnigramLine): boolean {
  return (line.notes ?? []).some((n) => n.startsWith("special-token text") || n.startsWith("the tokenizers Unigram lattice"));
}

const folders = (await readdir(FIXTURES)).filter((name) => name.startsWith("unigram-")).sort();

describe("Unigram tokenizers (fixtures/tokenizers/unigram-*)", () => {
  it("finds the fixture folders", () => assert.ok(folders.length > 0, `no unigram-* folder in ${FIXTURES}`));

  for (const folder of folders) {
    const dir = join(FIXTURES, folder);

    it(`${folder}: tokenizer.json gives Hugging Face's ids, decoded text and offsets on every line`, async () => {
      const tok = await loadTokenizer(join(dir, "tokenizer.json"));
      assert.ok(tok instanceof HfTokenizer);
      const lines = await jsonLines<UnigramLine>(join(dir, "expected.jsonl"));
      assert.ok(lines.length > 0);
      for (const line of lines) {
        const where = `${line.id} ${JSON.stringify(line.text.slice(0, 60))}`;
        assert.deepEqual(tok.encode(line.text), line.ids, where);
        assert.equal(tok.decode(line.ids), line.decoded, `${where} (decode)`);
        assert.equal(tok.decode(line.ids, { skipSpecialTokens: true }), line.decoded_skip_special, `${where} (decode, skip special)`);
        assert.equal(streamDecode(tok, line.ids), line.decoded, `${where} (stream)`);
        assert.equal(streamDecode(tok, line.ids, { skipSpecialTokens: true }), line.decoded_skip_special, `${where} (stream, skip special)`);
        const { ids, offsets } = tok.encodeWithOffsets(line.text);
        assert.deepEqual(ids, line.ids, `${where} (with offsets)`);
        const expected = line.offsets.map(([s, e]) => [utf16Offset(line.text, s), utf16Offset(line.text, e)]);
        assert.deepEqual(offsets, expected, `${where} (offsets)`);
      }
    });

    it(`${folder}: the .model file gives sentencepiece's ids and decoded text`, async (t) => {
      const modelFiles = (await readdir(dir)).filter((name) => name.endsWith(".model"));
      if (modelFiles.length === 0) {
        t.skip("no .model file");
        return;
      }
      for (const file of modelFiles) {
        const tok = await loadTokenizer(join(dir, file));
        assert.ok(tok instanceof HfTokenizer);
        const unkPiece = tok.idToToken(tok.unkTokenId!)!;
        const lines = await jsonLines<UnigramLine>(join(dir, "expected.jsonl"));
        let special = 0;
        for (const line of lines) {
          const where = `${file} ${line.id} ${JSON.stringify(line.text.slice(0, 60))}`;
          assert.deepEqual(tok.encode(line.text, { addSpecialTokens: false, splitSpecialTokens: true }), line.spm_ids, where);
          if (hasSpecialTokenText(line)) {
            // Special tokens cut out first: the ids transformers gives (its v5 tokenizer where the
            // fixture records it, as tokenizers' lattice also matches the literal unk piece).
            special++;
            assert.deepEqual(tok.encode(line.text), line.transformers_v5_ids ?? line.ids, `${where} (special tokens)`);
          } else {
            assert.deepEqual(tok.encode(line.text, { addSpecialTokens: false }), line.spm_ids, `${where} (default)`);
          }
          // sentencepiece writes the unknown piece as " ⁇ "; lmscope, like transformers, as the piece itself.
          const decoded = line.spm_decoded.replaceAll(" \u2047 ", unkPiece);
          assert.equal(tok.decode(line.spm_ids), decoded, `${where} (decode)`);
          assert.equal(streamDecode(tok, line.spm_ids), decoded, `${where} (stream)`);
        }
        assert.ok(special < lines.length / 4, "most lines have no special-token text");
      }
    });
  }
});
