#!/usr/bin/env node
// Executable entry point of the `lmscope` command.
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
