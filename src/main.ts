#!/usr/bin/env bun
import { main } from "./cli/index.ts";
import { runCli } from "./cli/run.ts";
import { VERSION } from "./version.ts";

process.exitCode = await runCli(main, process.argv.slice(2), VERSION);
