import { afterEach } from "bun:test";
import { testRender } from "@opentui/react/test-utils";
import { act, type ReactNode } from "react";

// Frames show clock times: pin the zone so snapshots read the same on every machine.
process.env.TZ = "UTC";
// Tell React this is a test environment, so act() flushes updates without warning.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

type Setup = Awaited<ReturnType<typeof testRender>>;
const mounted: Setup[] = [];

/** Renders `node` on a test terminal of `width`×`height` and returns its first frame. */
export async function renderAt(
  node: ReactNode,
  width: number,
  height: number,
): Promise<Setup & { frame: string }> {
  const setup = await testRender(node, { width, height });
  mounted.push(setup);
  await setup.renderOnce();
  return { ...setup, frame: setup.captureCharFrame() };
}

/** Renders again (after input or new data) and returns the frame. */
export async function frameOf(setup: Setup): Promise<string> {
  await setup.renderOnce();
  return setup.captureCharFrame();
}

afterEach(() => {
  for (const setup of mounted.splice(0)) act(() => setup.renderer.destroy());
});
