// Typed errors. Every error names what it is about (a file, a tensor, an option)
// and what was expected, so a user can act on the message alone.

/** Base class of every error lmscope throws on purpose. */
export class LmscopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A model, tokenizer or config file is malformed, truncated or inconsistent. */
export class ModelFormatError extends LmscopeError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor === undefined ? "" : `: tensor "${tensor}"`}: ${detail}`);
  }
}

/** A config.json describes a model lmscope cannot build (unknown type, inconsistent sizes). */
export class ConfigError extends LmscopeError {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

/** An option passed by the caller is unknown or out of range. */
export class OptionError extends LmscopeError {
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`option "${option}": ${detail}`);
  }
}

/** Input (ids, text, prompt length) that the model cannot process. */
export class InputError extends LmscopeError {}

/** A chat template does not parse or fails to render; `raised` when the template itself refused the conversation (raise_exception). */
export class ChatTemplateError extends LmscopeError {
  constructor(
    readonly template: string,
    readonly detail: string,
    readonly raised = false,
  ) {
    super(`${template}: ${detail}`);
  }
}
