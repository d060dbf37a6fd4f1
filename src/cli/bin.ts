#!/usr/bin/env node
// Executable entry point of the `lmscope` command.
import { main } from "./main.js";

// A reader that stops early (`lmscope generate … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
