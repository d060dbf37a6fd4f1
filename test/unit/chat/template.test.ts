// Chat templates beyond the collected real ones: where templates come from (folders as
// transformers loads them, GGUF metadata), the special tokens they see, the helpers that
// make @huggingface/jinja render as Python's Jinja, and the errors of bad templates.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pythonFloatRepr, pythonStrip } from "../../../src/chat/jinja-compat.js";
import { strftime } from "../../../src/chat/strftime.js";
import { ChatTemplate } from "../../../src/chat/template.js";
import { chooseTemplate, configTemplates, templateSpecialTokens } from "../../../src/chat/template-config.js";
import { ChatTemplateError, InputError, ModelFormatError, OptionError } from "../../../src/errors.js";
import { ggufTokenizerConfig } from "../../../src/io/gguf-tokenizer.js";
import type { GgufValue } from "../../../src/io/gguf.js";
import { readTokenizerConfig } from "../../../src/io/tokenizer-config.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

const DIR = join(TEST_FIXTURES, "chat-templates");
interface Call {
  name: string;
  messages: { role: string; content: string }[];
  add_generation_prompt?: boolean;
  tools?: boolean;
  template_name?: string;
  documents?: { title: string; text: string }[];
}
const expected = JSON.parse(readFileSync(join(DIR, "expected-folders.json"), "utf8")) as {
  calls: Call[];
  folders: Record<string, { special_tokens: Record<string, string>; calls: Record<string, { text?: string; error?: string }> }>;
};
const tools = (JSON.parse(readFileSync(join(DIR, "cases.json"), "utf8")) as { tools: never[] }).tools;

for (const [folder, want] of Object.entries(expected.folders)) {
  test(`folder ${folder}: the special tokens and the template picked are transformers'`, async () => {
    const config = await readTokenizerConfig(join(DIR, "folders", folder));
    assert.deepEqual(templateSpecialTokens(config, null), want.special_tokens);
    const templates = configTemplates(config, folder);
    for (const call of expected.calls) {
      const result = want.calls[call.name]!;
      const choice = { ...(call.template_name === undefined ? {} : { templateName: call.template_name }), withTools: call.tools === true };
      // transformers reads an unknown template name as template text ("rag" renders "rag"); lmscope refuses it.
      if (call.template_name !== undefined && !templates.has(call.template_name)) {
        assert.equal(result.text, call.template_name);
        assert.throws(() => chooseTemplate(templates, choice, folder), (e: unknown) => e instanceof OptionError && /has no chat template "rag"/.test(e.message));
        continue;
      }
      if (result.error !== undefined) {
        assert.throws(() => chooseTemplate(templates, choice, folder), (e: unknown) => e instanceof ChatTemplateError && /has no chat template; give one with --chat-template FILE/.test(e.message));
        continue;
      }
      const chosen = chooseTemplate(templates, choice, folder);
      const text = new ChatTemplate(chosen.source, chosen.origin, templateSpecialTokens(config, null)).render(call.messages, {
        addGenerationPrompt: call.add_generation_prompt ?? false,
        ...(call.tools === true ? { tools } : {}),
        ...(call.documents === undefined ? {} : { documents: call.documents }),
      });
      assert.equal(text, result.text, call.name);
    }
  });
}

test("a list of named templates without a default asks for a name; a malformed chat_template names the field", () => {
  const templates = configTemplates({ chat_template: [{ name: "rag", template: "r" }, { name: "tool_use", template: "t" }] }, "cfg");
  assert.throws(() => chooseTemplate(templates, {}, "cfg"), /several chat templates and none is "default"; name one \(templateName\) of: rag, tool_use/);
  assert.equal(chooseTemplate(templates, { withTools: true }, "cfg").source, "t");
  assert.throws(() => configTemplates({ chat_template: 5 }, "cfg"), (e: unknown) => e instanceof ModelFormatError && /expected a string or a list/.test(e.message));
  assert.throws(() => configTemplates({ chat_template: [{ name: "x" }] }, "cfg"), /chat_template\[0\]: expected \{ "name": string, "template": string \}/);
});

test("without a tokenizer config, the template sees the tokenizer's BOS and EOS text", () => {
  const tokenizer = { bosTokenId: 1, eosTokenId: 2, idToToken: (id: number) => ["<unk>", "\n<s>\n", "\n</s>\n"][id] } as never;
  assert.deepEqual(templateSpecialTokens(null, tokenizer), { bos_token: "<s>", eos_token: "</s>" });
});

test("GGUF metadata gives the special tokens' text and the templates, tokenizer.chat_template.<name> as named ones", () => {
  const tokens: GgufValue = { type: "array", elementType: "string", value: ["<unk>", "<s>", "</s>", "a"] };
  const metadata = new Map<string, GgufValue>([
    ["tokenizer.ggml.tokens", tokens],
    ["tokenizer.ggml.bos_token_id", { type: "uint32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "uint32", value: 2 }],
    ["tokenizer.chat_template", { type: "string", value: "main" }],
  ]);
  assert.deepEqual(ggufTokenizerConfig(metadata, "m.gguf"), { bos_token: "<s>", eos_token: "</s>", chat_template: "main" });
  metadata.set("tokenizer.chat_template.tool_use", { type: "string", value: "tools" });
  const config = ggufTokenizerConfig(metadata, "m.gguf");
  assert.deepEqual(config["chat_template"], [{ name: "default", template: "main" }, { name: "tool_use", template: "tools" }]);
  assert.equal(chooseTemplate(configTemplates(config, "m.gguf"), { withTools: true }, "m.gguf").source, "tools");
  metadata.set("tokenizer.chat_template", { type: "uint32", value: 3 });
  assert.throws(() => ggufTokenizerConfig(metadata, "m.gguf"), /"tokenizer.chat_template" has type uint32, expected string/);
});

test("raise_exception is a ChatTemplateError marked raised; render failures and parse errors name the template", () => {
  const t = new ChatTemplate("{{ raise_exception('no ' + messages[0].role) }}", "t.jinja");
  assert.throws(() => t.render([{ role: "tool", content: "" }]), (e: unknown) => e instanceof ChatTemplateError && e.raised && e.message === "t.jinja: refused the conversation: no tool");
  const broken = new ChatTemplate("{{ messages | frobnicate }}", "b.jinja");
  assert.throws(() => broken.render([{ role: "user", content: "" }]), (e: unknown) => e instanceof ChatTemplateError && !e.raised && /^b\.jinja: failed to render/.test(e.message));
  assert.throws(() => new ChatTemplate("{% if %}", "p.jinja"), (e: unknown) => e instanceof ChatTemplateError && /^p\.jinja: does not parse/.test(e.message));
});

test("a template cannot make an unbounded range; range itself is Python's", () => {
  assert.equal(new ChatTemplate("{{ range(3) | join(',') }}|{{ range(5, 0, -2) | join(',') }}", "r").render([{ role: "user", content: "" }]), "0,1,2|5,3,1");
  const huge = new ChatTemplate("{% for i in range(10000000000) %}x{% endfor %}", "huge.jinja");
  assert.throws(() => huge.render([{ role: "user", content: "" }]), /huge\.jinja: range\(\) of 10000000000 items exceeds the limit/);
});

test("render options and messages are checked", () => {
  const t = new ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}", "t");
  const user = [{ role: "user", content: "x" }];
  assert.throws(() => t.render([]), (e: unknown) => e instanceof OptionError && /conversation is empty/.test(e.message));
  assert.throws(() => t.render(user, { addGenerationPrompt: true, continueFinalMessage: true }), /cannot be combined with addGenerationPrompt/);
  assert.throws(() => t.render(user, { variables: { messages: [] } }), /"variables.messages": is set by the renderer/);
  assert.throws(() => t.render(user, { add_generation_prompt: true } as never), /unknown chat template option/);
  assert.throws(() => t.render([{ role: "user", content: () => 1 } as never]), (e: unknown) => e instanceof InputError && /messages\[0\]\.content: expected a JSON value/.test(e.message));
  assert.throws(() => t.render([{ role: "", content: "x" }]), /messages\[0\]\.role: expected a non-empty string/);
  assert.throws(() => t.render([{ role: "user", content: "x" }, { role: "assistant", content: [{ type: "image" }] }], { continueFinalMessage: true }), /no text to continue/);
  assert.equal(t.render([{ role: "user", content: "x" }, { role: "assistant", content: "The sky is  " }], { continueFinalMessage: true }), "xThe sky is  ");
});

test("the compatibility rewrites: strip(chars), selectattr(…, 'undefined'), | string as Python's str()", () => {
  const render = (source: string, messages: { role: string; content: string; [k: string]: unknown }[]): string =>
    new ChatTemplate(source, "t").render(messages as never);
  assert.equal(render("[{{ messages[0].content.lstrip('\\n') }}|{{ messages[0].content.rstrip('x\\n') }}|{{ messages[0].content.strip() }}]", [{ role: "user", content: "\n\n  a x\n" }]), "[  a x\n|\n\n  a |a x]");
  const tools = [{ role: "user", content: "a" }, { role: "assistant", content: "b", tool_calls: [] }, { role: "user", content: "c" }];
  assert.equal(render("{{ messages | selectattr('tool_calls', 'undefined') | map(attribute='content') | join }}", tools), "ac");
  assert.equal(render("{{ messages | rejectattr('tool_calls', 'undefined') | map(attribute='content') | join }}", tools), "b");
  assert.equal(render("{{ messages[0].missing | string }}|{{ messages[0].n | string }}|{{ messages[0] | string }}", [{ role: "user", content: "it's \"q\"", n: 2.5 }]), `|2.5|{'role': 'user', 'content': 'it\\'s "q"', 'n': 2.5}`);
  assert.equal(render("{{ [none, true, 1, 'a\\nb', 'é'] | string }}", [{ role: "user", content: "" }]), "[None, True, 1, 'a\\nb', 'é']");
});

test("Python float repr and str.strip", () => {
  const cases: [number, string][] = [[21.5, "21.5"], [1e16, "1e+16"], [1e-5, "1e-05"], [0.0001, "0.0001"], [123456789012345.6, "123456789012345.6"], [-0, "-0.0"], [3, "3.0"], [1.5e300, "1.5e+300"], [Infinity, "inf"]];
  for (const [x, repr] of cases) assert.equal(pythonFloatRepr(x), repr, String(x));
  assert.equal(pythonStrip("strip", "xxaxbxx", "x", "t"), "axb");
  assert.equal(pythonStrip("lstrip", " \t a ", null, "t"), "a ");
  assert.throws(() => pythonStrip("strip", 5, null, "t"), /strip\(\) called on a non-string value/);
});

test("strftime_now formats as Python's strftime in the C locale", () => {
  const date = new Date(2025, 0, 5, 9, 7, 3); // a Sunday
  assert.equal(strftime(date, "%d %b %Y|%B %-d, %Y|%a %A|%H:%M:%S %I%p|%j|%y|%m|%e|%%|%Q"), "05 Jan 2025|January 5, 2025|Sun Sunday|09:07:03 09AM|005|25|01| 5|%|%Q");
  const t = new ChatTemplate("{{ strftime_now('%d %B %Y') }}", "t");
  assert.equal(t.render([{ role: "user", content: "" }], { now: new Date(2024, 6, 26) }), "26 July 2024");
});
