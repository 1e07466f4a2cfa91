import { afterAll } from "bun:test";
import { removeCompiled } from "./e2e/compiled.ts";

// Every test file: the compiled binary an e2e test built is removed when the file is done.
afterAll(removeCompiled);
