import { join } from "node:path";
import { buildBinary, hostTarget } from "../../build.ts";
import { tempHome } from "../helpers.ts";

// One compiled binary per test run, built from this tree, shared by every e2e file.
const work = tempHome("dash-bin-");
let built: Promise<string> | undefined;

export function compiledDash(): Promise<string> {
  const bin = join(work.dir, "dash");
  built ??= buildBinary(hostTarget(), bin).then(() => bin);
  return built;
}

process.on("exit", () => work.cleanup());
