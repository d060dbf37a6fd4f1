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

/** Why a model could not be had from the Hugging Face hub or its local cache. */
export type HubErrorReason =
  | "unauthorized" // 401/403: a gated or private repo, a missing or refused HF_TOKEN
  | "not-found" // 404: the repo, the revision or the file
  | "offline" // HF_HUB_OFFLINE (or no network) and the cache lacks a file
  | "network" // the server could not be reached or kept dropping the connection
  | "integrity" // a downloaded file's size or sha256 is not what the hub announced
  | "protocol" // the server's answer is not what the hub sends (missing headers, bad listing)
  | "cache" // the hub cache folder cannot be written or read
  | "unsupported"; // the repo holds nothing lmscope loads (only pickled weights, split GGUF)

/** A hub download or cache lookup failed; the message names the repo, the file and what to do. */
export class HubError extends LmscopeError {
  constructor(
    readonly repo: string,
    readonly reason: HubErrorReason,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${repo}${file === undefined ? "" : `: ${file}`}: ${detail}`);
  }
}

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
