// File patterns of `lmscope download --include`, matched as huggingface_hub's
// allow_patterns are (utils/_paths.py filter_repo_objects, Python fnmatch):
// `*` matches any run of characters including "/", `?` one character, `[abc]`
// and `[!abc]` one of / none of a set; a pattern ending in "/" matches
// everything under that folder.

function escapeForRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** The RegExp a fnmatch-style pattern stands for (whole-string match). */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern.endsWith("/") ? `${pattern}*` : pattern;
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else if (ch === "[") {
      const close = source.indexOf("]", i + 2);
      if (close === -1) {
        out += "\\[";
        continue;
      }
      let set = source.slice(i + 1, close);
      const negate = set.startsWith("!");
      if (negate) set = set.slice(1);
      out += `[${negate ? "^" : ""}${set.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else out += escapeForRegExp(ch);
  }
  return new RegExp(`^${out}$`, "s");
}

/** The paths matching at least one of the patterns. */
export function filterByGlobs(paths: readonly string[], patterns: readonly string[]): string[] {
  const regexps = patterns.map(globToRegExp);
  return paths.filter((p) => regexps.some((r) => r.test(p)));
}
