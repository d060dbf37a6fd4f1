// lmscope's chat-template rendering against transformers' apply_chat_template(..., tokenize=False):
// every conversation of test/fixtures/chat-templates/cases.json with every collected real
// template, byte for byte (expected.json comes from scripts/refs/chat-templates.py). A template
// that raised in transformers must raise here with the same message; one that failed on a
// missing value (UndefinedError) must fail here too (the engines word that differently).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ChatTemplate } from "../../../src/chat/template.js";
import type { ChatMessage, JsonValue } from "../../../src/chat/messages.js";
import { ChatTemplateError } from "../../../src/errors.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

const DIR = join(TEST_FIXTURES, "chat-templates");

interface Case {
  name: string;
  templates?: string[];
  messages: ChatMessage[];
  add_generation_prompt?: boolean;
  continue_final_message?: boolean;
  tools?: boolean;
  documents?: JsonValue[];
  kwargs?: Record<string, JsonValue>;
}
interface Expected {
  transformers: string;
  renders: Record<string, Record<string, { text?: string; error?: string; failure?: string }>>;
}

const cases = JSON.parse(readFileSync(join(DIR, "cases.json"), "utf8")) as { now: string; tools: JsonValue[]; cases: Case[] };
const sources = JSON.parse(readFileSync(join(DIR, "sources.json"), "utf8")) as Record<string, { specialTokens: Record<string, string> }>;
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as Expected;
const now = new Date(cases.now); // no zone: local time, as Python's naive datetime

test("every collected template has expected renderings", () => {
  assert.deepEqual(Object.keys(expected.renders).sort(), Object.keys(sources).sort());
  assert.ok(Object.keys(sources).length >= 20);
});

for (const [name, source] of Object.entries(sources)) {
  test(`${name}: renders as transformers ${expected.transformers} does`, () => {
    const template = new ChatTemplate(readFileSync(join(DIR, "templates", `${name}.jinja`), "utf8"), `${name}.jinja`, source.specialTokens);
    const renders = expected.renders[name]!;
    let compared = 0;
    for (const c of cases.cases) {
      if (c.templates !== undefined && !c.templates.includes(name)) continue;
      const want = renders[c.name];
      assert.ok(want !== undefined, `no expected rendering for case ${c.name}`);
      const render = (): string =>
        template.render(c.messages, {
          addGenerationPrompt: c.add_generation_prompt ?? false,
          continueFinalMessage: c.continue_final_message ?? false,
          ...(c.tools === true ? { tools: cases.tools } : {}),
          ...(c.documents === undefined ? {} : { documents: c.documents }),
          variables: c.kwargs ?? {},
          now,
        });
      if (want.error !== undefined) {
        assert.throws(render, (e: unknown) => e instanceof ChatTemplateError && e.raised && e.message.endsWith(`: ${want.error}`), `case ${c.name}`);
      } else if (want.failure !== undefined) {
        assert.throws(render, (e: unknown) => e instanceof ChatTemplateError && !e.raised && /failed to render/.test(e.message), `case ${c.name}`);
      } else {
        assert.equal(render(), want.text, `case ${c.name}`);
      }
      compared++;
    }
    assert.equal(compared, Object.keys(renders).length);
  });
}
