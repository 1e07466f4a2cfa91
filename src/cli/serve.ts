import { defineCommand } from "citty";
import { startApp } from "../api/app.ts";
import { loadConfig } from "../config.ts";
import { DashError } from "../domain/errors.ts";
import { VERSION } from "../version.ts";
import { catalogOf, firstSwarm } from "./first-run.ts";
import { bold, cyan, dim, yellow } from "./style.ts";

export default defineCommand({
  meta: { name: "serve", description: "Run the Dash server (HTTP API on 127.0.0.1:7373 by default)" },
  args: {
    port: { type: "string", description: "Port to listen on (DASH_PORT, default 7373; 0 = any free port)" },
    host: {
      type: "string",
      description: "Address to bind (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    },
    ui: { type: "boolean", default: true, description: "Serve the web dashboard at / (--no-ui: off)" },
  },
  async run({ args }) {
    const loaded = loadConfig();
    const config = args.ui === false ? { ...loaded, ui: { enabled: false } } : loaded;
    const port = args.port === undefined ? config.server.port : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new DashError(
        "VALIDATION_ERROR",
        `--port must be a whole number from 0 to 65535, got "${args.port}"`,
      );
    }
    const app = await startApp(config, { port, host: args.host ?? config.server.host });
    // Graceful stop, from the moment it serves (the first-run hints below take a while); once the
    // server and database are closed nothing keeps the process alive.
    const stop = (signal: string) => {
      app.log.info("shutting down", { signal });
      void app.stop();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // The compiled binary starts with the JIT held back (build.ts, jitPolicy): start-up code runs
    // once, and compiling it only cost memory. Serving is what runs hot: normal policy from here.
    Bun.unsafe.setJITPolicy(1);
    console.log(
      `${bold("Dash")} ${VERSION} is serving on ${cyan(app.url.origin)} ${dim(`(data in ${config.home})`)}`,
    );
    if (app.adminKey) {
      console.log(
        `First start: created an admin API key. It is shown ONLY NOW and saved to ${config.home}/credentials:`,
      );
      console.log(`  ${yellow(app.adminKey)}`);
      // The command to paste comes last, as it works on this machine (see first-run.ts).
      const { command, note } = firstSwarm(catalogOf(config));
      if (note) console.log(dim(`(${note})`));
      console.log(`Next, in another terminal: ${bold(command)}`);
    }
  },
});
