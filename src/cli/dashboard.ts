import { defineCommand } from "citty";
import { DashClient } from "../client/client.ts";
import { resolveConnection } from "../client/connection.ts";
import { DashError } from "../domain/errors.ts";
import { VERSION } from "../version.ts";
import { UsageError } from "./common.ts";

export default defineCommand({
  meta: {
    name: "dashboard",
    description: "Watch agents, events and budgets live in the terminal (? inside for the keys)",
  },
  args: {
    url: { type: "string", description: "Dash server URL (DASH_URL; default: the local server)" },
    key: { type: "string", description: "API key (DASH_API_KEY; default: ~/.dash/credentials)" },
  },
  async run({ args }) {
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UsageError(
        "dash dashboard needs a terminal; for scripts use `dash events --follow` or `dash agent list --json`",
      );
    }
    const connection = resolveConnection(args);
    // Asked before the screen is taken, so "no server" is a plain message on a normal terminal.
    await new DashClient(connection).health().catch((error: unknown) => {
      if (!(error instanceof DashError) || error.code !== "UNREACHABLE") throw error;
      throw new DashError(
        "UNREACHABLE",
        `${error.message} To see Dash at work, try \`dash demo\`.`,
        error.details,
      );
    });
    const { runDashboard } = await import("../dashboard/run.tsx");
    process.exitCode = await runDashboard(connection, VERSION);
  },
});
