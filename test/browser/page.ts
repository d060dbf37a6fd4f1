// The browser test page's module (served by test/browser/backend.test.ts): runs the
// checks on two threads where the page is cross-origin isolated (else the backend
// falls back to one thread) and leaves the report, or the error, on globalThis.
import { runChecks } from "./checks.js";

const target = globalThis as { lmscopeReport?: unknown; lmscopeError?: string };
runChecks(2).then(
  (report) => {
    target.lmscopeReport = report;
  },
  (error: unknown) => {
    target.lmscopeError = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
  },
);
