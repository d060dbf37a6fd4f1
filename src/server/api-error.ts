// Errors of the OpenAI-compatible API in the shape OpenAI's API answers them, which
// the official clients read into their APIError (status, message, type, param,
// code): {"error": {"message", "type", "param", "code"}}. A client's mistake names
// the request field it is about in `param`; vLLM's issue #12886 shows what clients
// do when this shape changes (they lose the message).

import { ChatTemplateError, LmscopeError } from "../errors.js";

export type ApiErrorType =
  | "invalid_request_error" // 400, 404, 405, 413
  | "authentication_error" // 401
  | "permission_error" // 403
  | "rate_limit_error" // 429
  | "server_error" // 500
  | "unavailable_error"; // 503

export interface ApiErrorBody {
  readonly error: { readonly message: string; readonly type: ApiErrorType; readonly param: string | null; readonly code: string | null };
}

/** An answer other than success: the status, the error body and any headers it needs (Retry-After, Allow, …). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  get body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: a field of the request is missing, of the wrong type or out of range (`param` names it). */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, "invalid_request_error", param, code);
}

/** 404: no such model or route. */
export function notFound(message: string, param: string | null = null, code = "not_found"): ApiError {
  return new ApiError(404, message, "invalid_request_error", param, code);
}

/** 503 with Retry-After: the model is loading or the server is stopping. */
export function unavailable(message: string, code: string, retryAfterSeconds = 1): ApiError {
  return new ApiError(503, message, "unavailable_error", null, code, { "Retry-After": String(retryAfterSeconds) });
}

/**
 * The answer to an error thrown while serving a request: ApiErrors as they are, the
 * library's typed errors about the input (a prompt too long, a template that refuses
 * the conversation, …) as 400s naming `param`, anything else a 500 without internals.
 */
export function asApiError(error: unknown, param: string | null = null): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ChatTemplateError) return invalidRequest(error.message, "messages", "chat_template_error");
  if (error instanceof LmscopeError) return invalidRequest(error.message, param);
  return new ApiError(500, "the server failed on this request (its log has the details)", "server_error", null, "internal_error");
}
