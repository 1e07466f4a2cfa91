/**
 * An example Dash sink plugin: "jsonl-file" appends every notification it is given to a file, one
 * JSON object a line (DASH_NOTIFY_FILE, else notifications.jsonl next to this file).
 *
 *     plugins: [plugins/file-sink.ts]
 *     notify:
 *       sinks:
 *         audit: { plugin: jsonl-file, events: ["*"] }
 *
 * `deliver` resolving means delivered; throwing means "retry later" (with backoff, like a webhook
 * that answered 500), so a notification can come twice: `notification.id` tells repeats apart.
 * This module uses the named export `plugin` (a default export works the same; either may be an
 * array of several plugins).
 */
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
// Type-only, so erased when Dash loads the file: delete it (and `satisfies …`) outside this repo.
import type { SinkPluginExport } from "../../src/plugins/schema.ts";

export const plugin = {
  kind: "sink",
  name: "jsonl-file",
  description: "appends each notification to a JSON-lines file",
  async deliver(notification, { signal }) {
    signal.throwIfAborted();
    const file = process.env.DASH_NOTIFY_FILE || join(import.meta.dir, "notifications.jsonl");
    await appendFile(file, `${JSON.stringify(notification)}\n`);
  },
} satisfies SinkPluginExport;
