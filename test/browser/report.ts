// For the browser tests' page modules: runs `work` and leaves its result (or its
// error) on globalThis, where test/browser/harness.ts's runPage looks.

export function report(work: () => Promise<unknown>): void {
  const target = globalThis as { lmscopeReport?: unknown; lmscopeError?: string };
  work().then(
    (result) => {
      target.lmscopeReport = result;
    },
    (error: unknown) => {
      target.lmscopeError = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
    },
  );
}
