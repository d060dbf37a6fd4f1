// Reading the fields of a JSON request body, each checked for its type and range: a
// field of the wrong type or out of range is a 400 that names it (the `param` of the
// error), as OpenAI's API answers. Fields the API does not know are ignored, as
// OpenAI does; null counts as absent for optional fields (the clients send it).
// Every number from a client is range-checked before anything is sized by it.

import { invalidRequest } from "./api-error.js";

/** A short description of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** The lower bound itself is not allowed. */
  readonly minExclusive?: boolean;
  /** Only integers. */
  readonly integer?: boolean;
}

function rangeText(range: NumberRange): string {
  const what = range.integer === true ? "an integer" : "a number";
  if (range.minExclusive === true) return `${what} greater than ${range.min} and at most ${range.max}`;
  return `${what} from ${range.min} to ${range.max}`;
}

/** The fields of one request body (a JSON object). */
export class RequestFields {
  private constructor(private readonly fields: Readonly<Record<string, unknown>>) {}

  /** The body as fields; anything but a JSON object is a 400. */
  static of(body: unknown): RequestFields {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw invalidRequest(`the request body must be a JSON object, got ${describeValue(body)}`);
    }
    return new RequestFields(body as Record<string, unknown>);
  }

  /** Whether the field is present and not null. */
  has(name: string): boolean {
    return Object.hasOwn(this.fields, name) && this.fields[name] !== null && this.fields[name] !== undefined;
  }

  /** The raw value (undefined when absent or null). */
  raw(name: string): unknown {
    return this.has(name) ? this.fields[name] : undefined;
  }

  requiredString(name: string, maxLength = Number.POSITIVE_INFINITY): string {
    const value = this.string(name, maxLength);
    if (value === undefined) throw invalidRequest(`"${name}" is required`, name, "missing_required_parameter");
    return value;
  }

  string(name: string, maxLength = Number.POSITIVE_INFINITY): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw invalidRequest(`"${name}" must be a string, got ${describeValue(value)}`, name, "invalid_type");
    if (value.length > maxLength) throw invalidRequest(`"${name}" is ${value.length} characters long; at most ${maxLength} are allowed`, name, "invalid_value");
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw invalidRequest(`"${name}" must be true or false, got ${describeValue(value)}`, name, "invalid_type");
    return value;
  }

  number(name: string, range: NumberRange): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return checkNumber(value, name, range);
  }

  /** A nested object's fields (undefined when absent). */
  object(name: string): RequestFields | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw invalidRequest(`"${name}" must be an object, got ${describeValue(value)}`, name, "invalid_type");
    return new RequestFields(value as Record<string, unknown>);
  }
}

/** `value` if it is a number within the range; otherwise a 400 naming `param`. */
export function checkNumber(value: unknown, param: string, range: NumberRange): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (range.integer !== true || Number.isSafeInteger(value)) &&
    (range.minExclusive === true ? value > range.min : value >= range.min) &&
    value <= range.max;
  if (!ok) throw invalidRequest(`"${param}" must be ${rangeText(range)}, got ${describeValue(value)}`, param, typeof value === "number" ? "invalid_value" : "invalid_type");
  return value as number;
}
