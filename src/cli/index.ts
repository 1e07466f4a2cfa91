import { defineCommand } from "citty";
import { VERSION } from "../version.ts";

/** The `dash` command: one file per noun under cli/, loaded only when used. */
export const main = defineCommand({
  meta: { name: "dash", version: VERSION, description: "Orchestrate swarms of AI agents" },
  subCommands: {
    serve: () => import("./serve.ts").then((m) => m.default),
    migrate: () => import("./migrate.ts").then((m) => m.default),
    swarm: () => import("./swarm.ts").then((m) => m.default),
    agent: () => import("./agent.ts").then((m) => m.default),
    budget: () => import("./budget.ts").then((m) => m.default),
    keys: () => import("./keys.ts").then((m) => m.default),
    approvals: () => import("./approvals.ts").then((m) => m.default),
    tree: () => import("./tree.ts").then((m) => m.default),
    events: () => import("./events.ts").then((m) => m.default),
    demo: () => import("./demo.ts").then((m) => m.default),
    dashboard: () => import("./dashboard.ts").then((m) => m.default),
    nodes: () => import("./nodes.ts").then((m) => m.default),
    notifications: () => import("./notifications.ts").then((m) => m.default),
    doctor: () => import("./doctor.ts").then((m) => m.default),
    completion: () => import("./completion.ts").then((m) => m.default),
  },
});
