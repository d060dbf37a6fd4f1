// Shared option parsing for CLI commands: node:util parseArgs in strict mode
// (unknown options are errors) and number options checked with their name.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { OptionError } from "../errors.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseCommandLine(argv: string[], options: OptionSpec, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    const message = (error as Error).message;
    const named = /'(-[^']*)'/.exec(message)?.[1];
    throw new OptionError(named ?? "arguments", `${message.split(". ")[0]} (--help lists the options)`);
  }
}

/** A numeric option, or undefined when absent. */
export function numberOption(values: Parsed["values"], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value)) {
    throw new OptionError(`--${name}`, `expected a number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function stringOption(values: Parsed["values"], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === "string" ? raw : undefined;
}

export function requiredString(values: Parsed["values"], name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new OptionError(`--${name}`, "is required");
  return value;
}
