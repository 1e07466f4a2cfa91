import type { Logger } from "../log.ts";
import type { ResolvedRuntime } from "../runtimes/presets.ts";

type Control = NonNullable<ResolvedRuntime["control"]>;

/**
 * What pausing or resuming means to an agent's runtime beyond its process (OpenClaw: its session),
 * one at a time per agent, so a quick resume never overtakes its pause. A failure is logged: the
 * process is stopped or continued all the same.
 */
export class RuntimeControls {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    /** The agent's runtime control and its workspace, if the runtime has one. */
    private readonly controlOf: (
      agentId: string,
    ) => Promise<{ control: Control; workspace: string } | undefined>,
    private readonly log: Logger,
  ) {}

  run(agentId: string, action: "pause" | "resume"): Promise<void> {
    const next = (this.chains.get(agentId) ?? Promise.resolve()).then(() => this.now(agentId, action));
    this.chains.set(agentId, next);
    void next.finally(() => {
      if (this.chains.get(agentId) === next) this.chains.delete(agentId);
    });
    return next;
  }

  private async now(agentId: string, action: "pause" | "resume"): Promise<void> {
    try {
      const found = await this.controlOf(agentId);
      await found?.control[action](found.workspace);
    } catch (error) {
      this.log.warn(`the runtime could not ${action} the agent`, {
        agentId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
