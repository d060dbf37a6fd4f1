// A strict check that a document our SVG writers produced is well-formed XML of
// the simple kind they write (elements, double-quoted attributes, text, the five
// entities and numeric references; no comments, CDATA or processing
// instructions): tags balance, text and attribute values hold no raw "<" or
// stray "&", and no character XML forbids appears. Returns the element names in
// document order.
import assert from "node:assert/strict";

const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const STRAY_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i;

export function checkWellFormedXml(document: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|([^<]+)/y;
  let at = 0;
  while (at < document.length) {
    token.lastIndex = at;
    const match = token.exec(document);
    assert.ok(match !== null, `malformed markup at ${at}: ${JSON.stringify(document.slice(at, at + 60))}`);
    const [whole, closing, name, attributes, selfClosing, text] = match;
    if (text !== undefined) {
      assert.ok(!STRAY_AMPERSAND.test(text), `stray & in text ${JSON.stringify(text)}`);
      assert.ok(!FORBIDDEN.test(text), `forbidden character in text ${JSON.stringify(text)}`);
      assert.ok(!text.includes(">") || stack.length > 0, "text outside the root");
    } else if (closing === "/") {
      assert.equal(stack.pop(), name, `</${name}> closes nothing open`);
    } else {
      for (const [, value] of (attributes ?? "").matchAll(/="([^"]*)"/g)) {
        assert.ok(!value!.includes("<"), `raw < in attribute ${JSON.stringify(value)}`);
        assert.ok(!STRAY_AMPERSAND.test(value!), `stray & in attribute ${JSON.stringify(value)}`);
        assert.ok(!FORBIDDEN.test(value!), `forbidden character in attribute ${JSON.stringify(value)}`);
      }
      names.push(name!);
      if (selfClosing !== "/") stack.push(name!);
    }
    at += whole.length;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  return names;
}
