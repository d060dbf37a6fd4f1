// Typed access to the fields of a Hugging Face config.json, by their own names,
// with errors that name the field and what was expected.

import { ConfigError } from "../errors.js";

export type JsonObject = { readonly [key: string]: unknown };

export class ConfigReader {
  constructor(
    readonly json: JsonObject,
    /** Where the config came from, for error messages. */
    readonly source: string,
  ) {}

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  /** A positive integer field; `fallback` when absent or null. */
  positiveInt(key: string, fallback?: number): number {
    const value = this.json[key] ?? fallback;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      throw new ConfigError(this.source, `"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  /** A finite positive number field. */
  positiveNumber(key: string, fallback?: number): number {
    const value = this.json[key] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(this.source, `"${key}" must be a positive number, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.json[key] ?? fallback;
    if (typeof value !== "boolean") {
      throw new ConfigError(this.source, `"${key}" must be true or false, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = this.json[key] ?? fallback;
    if (typeof value !== "string") {
      throw new ConfigError(this.source, `"${key}" must be a string, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  /** A token id field that may be absent, a single id, or a list of ids (eos_token_id). */
  tokenIds(key: string): number[] {
    const value = this.json[key];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    for (const id of list) {
      if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
        throw new ConfigError(this.source, `"${key}" must be a token id or a list of them, got ${JSON.stringify(value)}`);
      }
    }
    return list as number[];
  }

  /** Fails unless `divisor` divides `value` exactly. */
  requireDivisible(valueKey: string, value: number, divisorKey: string, divisor: number): void {
    if (value % divisor !== 0) {
      throw new ConfigError(this.source, `"${valueKey}" (${value}) is not divisible by "${divisorKey}" (${divisor})`);
    }
  }
}
