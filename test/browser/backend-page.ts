// The backend page of the browser test: the checks of checks.ts on two threads
// where the page is cross-origin isolated (else the backend falls back to one).
import { runChecks } from "./checks.js";
import { report } from "./report.js";

report(() => runChecks(2));
