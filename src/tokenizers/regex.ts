// Translates the Oniguruma regular expressions found in tokenizer.json (the
// syntax of HF tokenizers and tiktoken's fancy-regex) to JavaScript `u`-mode
// RegExps: `\s`/`\S` become Unicode White_Space (JavaScript's `\s` differs on
// U+0085 and U+FEFF), inline `(?i:…)` groups are expanded to explicit case
// classes (Node 20 has no regexp modifiers), and identity escapes that `u`
// mode rejects are rewritten as hex escapes.

const SYNTAX_CHARS = new Set("^$\\.*+?()[]{}|/-");

/** Throws a plain Error with a reason when the pattern uses something we cannot translate. */
export function onigurumaToJsSource(pattern: string): string {
  let out = "";
  let inClass = false;
  /** Group depths at which a case-insensitive group is open. */
  const caseInsensitiveDepths: number[] = [];
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const caseInsensitive = caseInsensitiveDepths.length > 0;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new Error("pattern ends with a backslash");
      i++;
      if (next === "s") out += "\\p{White_Space}";
      else if (next === "S") out += "\\P{White_Space}";
      else if (next === "h") out += "[\\t \\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000]";
      else if (next === "A") out += "^";
      else if (next === "z") out += "$";
      else if (next === "p" || next === "P" || next === "x" || next === "u") {
        // Copy the escape with its argument ({…} or fixed hex digits).
        let j = i + 1;
        if (pattern[j] === "{") {
          const close = pattern.indexOf("}", j);
          if (close < 0) throw new Error(`unterminated \\${next}{ escape`);
          j = close + 1;
        } else j += next === "x" ? 2 : next === "u" ? 4 : 0;
        out += `\\${next}${pattern.slice(i + 1, j)}`;
        i = j - 1;
      } else if (/[A-Za-z0-9]/.test(next) || SYNTAX_CHARS.has(next)) out += `\\${next}`;
      else {
        const cp = pattern.codePointAt(i)!;
        out += `\\u{${cp.toString(16)}}`;
        if (cp > 0xffff) i++;
      }
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      else if (caseInsensitive && /[A-Za-z]/.test(c) && pattern[i + 1] !== "-" && pattern[i - 1] !== "-") {
        out += c.toLowerCase() + c.toUpperCase();
        continue;
      }
      out += c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") out += `\\${pattern[++i]}`;
      continue;
    }
    if (c === "(") {
      depth++;
      if (pattern.startsWith("(?i:", i)) {
        caseInsensitiveDepths.push(depth);
        out += "(?:";
        i += 3;
        continue;
      }
      if (pattern.startsWith("(?>", i)) throw new Error("atomic groups (?>…) are not supported");
      if (/^\(\?[imx-]+[:)]/.test(pattern.slice(i, i + 8))) throw new Error("inline flag groups other than (?i:…) are not supported");
      out += c;
      continue;
    }
    if (c === ")") {
      if (caseInsensitiveDepths[caseInsensitiveDepths.length - 1] === depth) caseInsensitiveDepths.pop();
      depth--;
      out += c;
      continue;
    }
    if ((c === "+" || c === "?" || c === "*" || c === "}") && pattern[i + 1] === "+") {
      throw new Error("possessive quantifiers (x++, x*+, x?+) are not supported");
    }
    if (caseInsensitive && /[A-Za-z]/.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  return out;
}

/** Compiles a tokenizer.json regex as a global Unicode JavaScript RegExp. */
export function compileOnigurumaPattern(pattern: string): RegExp {
  return new RegExp(onigurumaToJsSource(pattern), "gu");
}

/** A RegExp matching `literal` exactly. */
export function escapeRegExp(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}
