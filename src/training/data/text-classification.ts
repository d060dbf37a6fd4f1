// Text-classification data: CSV (RFC 4180 quoting; a header row naming the
// columns text, label and optionally text_pair) and JSONL ({"text", "label"[,
// "text_pair"]}) files, as HF's run_glue.py reads them.

import { readFile } from "node:fs/promises";
import { ModelFormatError } from "../../errors.js";

export interface TextExample {
  readonly text: string;
  readonly textPair?: string;
  readonly label: string;
}

/** Rows of fields: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string, source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  const endRow = (): void => {
    row.push(field);
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
    field = "";
  };
  while (i < body.length) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && body[i + 1] === "\n") i++;
      endRow();
    } else field += ch;
    i++;
  }
  if (quoted) throw new ModelFormatError(source, "a quoted field is not closed before the end of the file");
  if (field !== "" || row.length > 0) endRow();
  return rows;
}

export function parseTextClassificationCsv(text: string, source: string): TextExample[] {
  const [header, ...rows] = parseCsv(text, source);
  if (header === undefined) throw new ModelFormatError(source, "is empty: expected a header row (text,label[,text_pair])");
  const column = (name: string): number => header.findIndex((h) => h.trim() === name);
  const textAt = column("text");
  const labelAt = column("label");
  const pairAt = column("text_pair");
  if (textAt === -1 || labelAt === -1) throw new ModelFormatError(source, `the header must name the columns "text" and "label", got ${JSON.stringify(header)}`);
  return rows.map((row, r) => {
    if (row.length !== header.length) throw new ModelFormatError(source, `row ${r + 2} has ${row.length} fields, the header ${header.length}`);
    return { text: row[textAt]!, label: row[labelAt]!.trim(), ...(pairAt === -1 ? {} : { textPair: row[pairAt]! }) };
  });
}

export function parseTextClassificationJsonl(text: string, source: string): TextExample[] {
  const examples: TextExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      throw new ModelFormatError(source, `line ${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    const t = o?.["text"];
    const label = o?.["label"];
    const pair = o?.["text_pair"];
    if (typeof t !== "string") throw new ModelFormatError(source, `line ${i + 1}: "text" must be a string`);
    if (typeof label !== "string" && typeof label !== "number") throw new ModelFormatError(source, `line ${i + 1}: "label" must be a string or a number`);
    if (pair !== undefined && typeof pair !== "string") throw new ModelFormatError(source, `line ${i + 1}: "text_pair" must be a string`);
    examples.push({ text: t, label: String(label), ...(pair === undefined ? {} : { textPair: pair }) });
  });
  return examples;
}

/** A .csv file as CSV, anything else as JSONL. */
export async function readTextClassificationFile(path: string): Promise<TextExample[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelFormatError(path, "cannot read the file");
  }
  return path.endsWith(".csv") ? parseTextClassificationCsv(text, path) : parseTextClassificationJsonl(text, path);
}
