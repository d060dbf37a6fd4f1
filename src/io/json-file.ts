// Reading small JSON files (config.json and friends) with bounded size and
// errors that name the file.

import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { readWholeFile } from "./file-bytes.js";

const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** Parses a JSON file whose top level must be an object (at most maxBytes: 16 MiB unless told). */
export async function readJsonObject(path: string, maxBytes = MAX_JSON_BYTES): Promise<JsonObject> {
  const bytes = await readWholeFile(path, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ModelFormatError(path, `is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ModelFormatError(path, "must hold a JSON object at the top level");
  }
  return value as JsonObject;
}
