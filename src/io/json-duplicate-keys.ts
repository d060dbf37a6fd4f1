// Finds a key that appears twice in one JSON object. JSON.parse (like most
// parsers) keeps the last of two equal keys without a word, so a file whose
// header lists a tensor twice would silently lose one entry; readers of
// untrusted files call this on text JSON.parse has already accepted. Keys are
// compared after unescaping ("a" and "\u0061" are the same key), as RFC 8259
// §4 compares member names.

export interface DuplicateKey {
  readonly key: string;
  /** Where the object sits: "(root)" or a path of keys and indices, e.g. `weight_map` or `a[2]`. */
  readonly path: string;
}

interface Container {
  readonly keys: Set<string> | null;
  readonly path: string;
  /** In an object: whether the next string is a key. */
  expectKey: boolean;
  /** The key or index the next value is stored under. */
  nextName: string;
  index: number;
}

/** The first duplicated key of `text` (valid JSON), or undefined when every object's keys are distinct. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Container[] = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (top === undefined) return "(root)";
    const name = top.keys === null ? `[${top.index}]` : top.nextName;
    return top.path === "(root)" ? name : top.keys === null ? `${top.path}${name}` : `${top.path}.${name}`;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      stack.push({ keys: ch === "{" ? new Set() : null, path: childPath(), expectKey: ch === "{", nextName: "", index: 0 });
    } else if (ch === "}" || ch === "]") {
      stack.pop();
    } else if (ch === ",") {
      const top = stack[stack.length - 1]!;
      if (top.keys === null) top.index++;
      else top.expectKey = true;
    } else if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top !== undefined && top.keys !== null && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { key, path: top.path };
        top.keys.add(key);
        top.expectKey = false;
        top.nextName = key;
      }
      i = end;
    }
  }
  return undefined;
}
