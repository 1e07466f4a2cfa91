import { expect, test } from "bun:test";
import { RuntimeControls } from "../../src/core/runtime-controls.ts";
import { createLogger } from "../../src/log.ts";

test("pause and resume of one agent run in order, even when the pause is slow; a failure is logged", async () => {
  const done: string[] = [];
  const lines: string[] = [];
  const controls = new RuntimeControls(
    async (agentId) => {
      if (agentId === "broken") throw new Error("gateway down");
      const control = {
        pause: async (workspace: string) => {
          await Bun.sleep(30);
          done.push(`${agentId} paused in ${workspace}`);
        },
        resume: async (workspace: string) => {
          done.push(`${agentId} resumed in ${workspace}`);
        },
      };
      return { control, workspace: `/w/${agentId}` };
    },
    createLogger("debug", {}, (line) => lines.push(line)),
  );
  const pause = controls.run("a", "pause");
  await controls.run("a", "resume");
  await pause;
  expect(done).toEqual(["a paused in /w/a", "a resumed in /w/a"]);
  await controls.run("broken", "pause");
  expect(lines.join("\n")).toContain("the runtime could not pause the agent");
  expect(lines.join("\n")).toContain("gateway down");
});
