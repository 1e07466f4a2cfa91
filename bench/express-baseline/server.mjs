// The PRD's own stack as a baseline for bench/http.ts: Express + better-sqlite3 over the SAME schema
// (the project's migrations/*.sql, SQLite pragmas as Dash sets them), doing what Dash's routes do
// at their simplest: a bearer key hashed and looked up, agents read and mapped to the PRD's shape,
// a swarm with its budget, agents and events written in one transaction. Run with node (not Bun):
//   node server.mjs <database file>   → prints {"port":…,"key":…} once it listens on 127.0.0.1.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import express from "express";

const MIGRATIONS = join(import.meta.dirname, "..", "..", "migrations");
const db = new Database(process.argv[2] ?? ":memory:");
db.pragma("busy_timeout = 5000");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
for (const file of readdirSync(MIGRATIONS)
  .filter((f) => f.endsWith(".sql"))
  .sort()) {
  const text = readFileSync(join(MIGRATIONS, file), "utf8");
  db.exec(text.slice(text.indexOf("-- migrate:up") + 13, text.indexOf("-- migrate:down")));
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const key = `dash_api_key_${randomBytes(24).toString("base64url")}`;
const now = Date.now();
db.prepare(
  "INSERT INTO api_keys (id, name, key_hash, permissions, created_at) VALUES (?, 'admin', ?, ?, ?)",
).run(newId(), sha256(key), JSON.stringify(["admin"]), now);

/** A ULID-like id (time first, so rows sort by creation like Dash's ids). */
function newId() {
  return Date.now().toString(32).padStart(10, "0") + randomBytes(10).toString("hex").slice(0, 16);
}

const findKey = db.prepare("SELECT * FROM api_keys WHERE key_hash = ? AND is_active = 1");
function auth(req, res, next) {
  const match = /^bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
  const row = match ? findKey.get(sha256(match[1])) : undefined;
  if (!row) return res.status(401).json({ error: { code: "UNAUTHORIZED", message: "Invalid API key" } });
  req.key = row;
  next();
}

const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());
function agentResponse(a) {
  return {
    id: a.id,
    name: a.name,
    status: a.status,
    swarmId: a.swarm_id,
    parentId: a.parent_id,
    task: a.task,
    model: a.model,
    progress: {
      current: a.progress_current,
      total: a.progress_total,
      percentage: a.progress_total > 0 ? Math.round((a.progress_current / a.progress_total) * 1000) / 10 : 0,
    },
    cost: {
      promptTokens: a.cost_prompt_tokens,
      completionTokens: a.cost_completion_tokens,
      totalTokens: a.cost_prompt_tokens + a.cost_completion_tokens,
      amount: a.cost_micros / 1e6,
    },
    sessionId: a.session_id,
    metadata: JSON.parse(a.metadata),
    role: a.role,
    input: a.input,
    result: a.result === null ? null : JSON.parse(a.result),
    error: a.error === null ? null : JSON.parse(a.error),
    createdAt: iso(a.created_at),
    updatedAt: iso(a.updated_at),
    completedAt: iso(a.completed_at),
    retryCount: a.retry_count,
    version: a.version,
  };
}

const insertSwarm = db.prepare(
  `INSERT INTO swarms (id, name, status, task, strategy, config, target_agent_count, created_at, updated_at)
   VALUES (?, ?, 'active', ?, 'parallel', ?, ?, ?, ?)`,
);
const insertBudget = db.prepare(
  `INSERT INTO budgets (id, entity_type, entity_id, amount_allocated, currency, created_at, updated_at)
   VALUES (?, 'swarm', ?, ?, 'USD', ?, ?)`,
);
const insertAgent = db.prepare(
  `INSERT INTO agents (id, name, status, swarm_id, task, model, max_retries, created_at, updated_at)
   VALUES (?, ?, 'idle', ?, ?, ?, 3, ?, ?)`,
);
const insertEvent = db.prepare(
  "INSERT INTO events (id, timestamp, type, source, data) VALUES (?, ?, ?, ?, ?)",
);
const swarmById = db.prepare("SELECT * FROM swarms WHERE id = ?");
const ping = db.prepare("SELECT 1");
const agentPage = db.prepare("SELECT * FROM agents ORDER BY id LIMIT ?");
const createSwarm = db.transaction((body) => {
  const at = Date.now();
  const id = newId();
  const count = body.initialAgents ?? 1;
  insertSwarm.run(id, body.name, body.task, JSON.stringify(body.config ?? {}), count, at, at);
  insertBudget.run(newId(), id, 10_000_000, at, at);
  insertEvent.run(newId(), at, "swarm.created", id, JSON.stringify({ swarmId: id, name: body.name }));
  for (let i = 0; i < count; i++) {
    const agentId = newId();
    insertAgent.run(agentId, `${body.name}-${i}`, id, body.task, "claude-sonnet-4", at, at);
    insertEvent.run(newId(), at, "agent.spawned", agentId, JSON.stringify({ agentId, swarmId: id }));
  }
  insertEvent.run(newId(), at, "swarm.started", id, JSON.stringify({ swarmId: id, status: "active" }));
  return swarmById.get(id);
});

const app = express();
app.disable("x-powered-by");
app.get("/health", (_req, res) => {
  ping.get();
  res.json({ status: "ok", uptimeSeconds: Math.round(process.uptime()), database: "ok" });
});
app.get("/api/agents", auth, (req, res) => {
  const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100)));
  const rows = agentPage.all(limit + 1);
  const page = rows.slice(0, limit);
  res.json({ agents: page.map(agentResponse), nextCursor: rows.length > limit ? page.at(-1).id : null });
});
app.post("/api/swarm", auth, express.json({ limit: "10mb" }), (req, res) => {
  const body = req.body ?? {};
  if (typeof body.name !== "string" || typeof body.task !== "string") {
    return res
      .status(400)
      .json({ error: { code: "VALIDATION_ERROR", message: "name and task are required" } });
  }
  const swarm = createSwarm(body);
  res.status(201).json({ ...swarm, config: JSON.parse(swarm.config), plan: JSON.parse(swarm.plan) });
});

const server = app.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port, key }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
