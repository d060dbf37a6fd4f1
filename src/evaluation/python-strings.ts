// The Python string behaviour sacreBLEU's numbers depend on, so that the
// metrics here give its exact results: `str.split()` / `str.rstrip()` cut on
// Python's whitespace (str.isspace: the Unicode White_Space set plus the
// information separators U+001C–U+001F, not U+FEFF or U+180E), and `f"{x:.Nf}"`
// rounds an exact half to the even digit (JavaScript's toFixed rounds it up).

const PYTHON_SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SPACES = new RegExp(`[${PYTHON_SPACE}]+`, "u");
const TRAILING_SPACES = new RegExp(`[${PYTHON_SPACE}]+$`, "u");

/** Python `text.split()`: the non-empty runs between whitespace. */
export function pythonSplit(text: string): string[] {
  return text.split(SPACES).filter((word) => word !== "");
}

/** Python `text.rstrip()`. */
export function pythonRstrip(text: string): string {
  return text.replace(TRAILING_SPACES, "");
}

/** Python `f"{value:.{digits}f}"` for a finite number: exact halves round to even. */
export function formatFixed(value: number, digits: number): string {
  const rounded = value.toFixed(digits);
  // toFixed(100) is the exact decimal expansion for the values a score takes.
  const exact = Math.abs(value).toFixed(100);
  const point = exact.indexOf(".");
  if (!/^50*$/.test(exact.slice(point + 1 + digits))) return rounded;
  // A tie: toFixed took the larger magnitude; Python keeps the even last digit.
  const truncated = exact.slice(0, point + (digits > 0 ? 1 + digits : 0));
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 0) return (value < 0 ? "-" : "") + truncated;
  return rounded;
}
