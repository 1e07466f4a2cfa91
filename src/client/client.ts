import type { z } from "zod";
import { type AgentResponse, AgentResponseSchema } from "../domain/agent.ts";
import type { Permission } from "../domain/api-key.ts";
import { ApiKeySchema } from "../domain/api-key.ts";
import { ApprovalListSchema, ApprovalResponseSchema, type ApprovalStatus } from "../domain/approval.ts";
import { BudgetSchema } from "../domain/budget.ts";
import { ErrorResponseSchema } from "../domain/error-response.ts";
import { DashError, ERROR_STATUS, type ErrorCode } from "../domain/errors.ts";
import { MergeOutcomeSchema } from "../domain/merge.ts";
import { ModelCallPageSchema } from "../domain/model-call.ts";
import type { AgentStatus, SwarmStatus } from "../domain/states.ts";
import { type CreateSwarmInput, SwarmResponseSchema } from "../domain/swarm.ts";
import {
  AgentDiffSchema,
  AgentLogsSchema,
  AgentPageSchema,
  ApiKeyListSchema,
  BranchesLeftSchema,
  BudgetListSchema,
  CreatedApiKeySchema,
  EventPageSchema,
  HealthSchema,
  NodeListSchema,
  SwarmListSchema,
} from "../domain/wire.ts";
import type { Connection } from "./connection.ts";
import { fetchPatiently, RATE_LIMIT_PATIENCE_MS } from "./send.ts";

type Query = Record<string, string | number | undefined>;

export interface AgentListQuery {
  swarmId?: string;
  status?: AgentStatus;
  parentId?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The typed REST client: the CLI and the dashboard use it, never raw fetch. Every answer is parsed
 * with the same zod schema the server answers with; an error envelope becomes a DashError with the
 * server's code, and no answer at all becomes UNREACHABLE with how to start a server.
 */
export class DashClient {
  constructor(
    readonly connection: Connection,
    private readonly fetcher: typeof fetch = fetch,
    private readonly patienceMs = RATE_LIMIT_PATIENCE_MS,
  ) {}

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<z.infer<S>> {
    // Relative to the base so a server behind a proxy at a sub-path (https://h/dash) keeps it.
    const url = new URL(path.replace(/^\//, ""), `${this.connection.url}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.connection.key) headers.authorization = `Bearer ${this.connection.key}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const init: RequestInit = {
      method,
      // Never follow a redirect with the key on it to somewhere else.
      redirect: "error",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    };
    const response = await fetchPatiently(this.fetcher, url, init, this.connection.url, this.patienceMs);
    const text = await response.text();
    if (!response.ok) throw this.toError(response, text);
    const parsed = schema.safeParse(parseBody(text));
    if (!parsed.success) {
      throw new DashError(
        "INTERNAL_ERROR",
        `Unexpected answer from ${method} ${url.pathname} at ${this.connection.url}: is this a Dash server of the same version? (${parsed.error.issues[0]?.message ?? "bad shape"})`,
      );
    }
    return parsed.data;
  }

  private toError(response: Response, text: string): DashError {
    const envelope = ErrorResponseSchema.safeParse(parseBody(text)).data;
    if (!envelope) {
      return new DashError(
        "INTERNAL_ERROR",
        `HTTP ${response.status} from ${this.connection.url}: ${text.slice(0, 200)}`,
      );
    }
    const { code, message, details } = envelope.error;
    const known = code in ERROR_STATUS ? (code as ErrorCode) : "INTERNAL_ERROR";
    const hint =
      known === "UNAUTHORIZED" && this.connection.key === null
        ? " (no key found: pass --key, set DASH_API_KEY, or run on the server's machine where ~/.dash/credentials exists)"
        : "";
    return new DashError(known, `${message}${hint}`, details);
  }

  health = () => this.request("GET", "/health", HealthSchema);

  listSwarms = (status?: SwarmStatus) =>
    this.request("GET", "/api/swarm", SwarmListSchema, { query: { status } });
  getSwarm = (id: string) => this.request("GET", `/api/swarm/${enc(id)}`, SwarmResponseSchema);
  createSwarm = (input: CreateSwarmInput) =>
    this.request("POST", "/api/swarm", SwarmResponseSchema, { body: input });
  /** A repo swarm's merged branches go too unless `keepBranches`; the answer lists those kept. */
  destroySwarm = (id: string, keepBranches?: boolean) =>
    this.request(
      "DELETE",
      `/api/swarm/${enc(id)}`,
      SwarmResponseSchema.extend({ branches: BranchesLeftSchema.optional() }),
      {
        query: { keepBranches: keepBranches ? "true" : undefined },
      },
    );
  mergeSwarm = (id: string, into?: string) =>
    this.request("POST", `/api/swarm/${enc(id)}/merge`, MergeOutcomeSchema, { body: { into } });
  scaleSwarm = (id: string, target: number) =>
    this.request("POST", `/api/swarm/${enc(id)}/scale`, SwarmResponseSchema, { body: { target } });
  pauseSwarm = (id: string) =>
    this.request("POST", `/api/swarm/${enc(id)}/pause`, SwarmResponseSchema, { body: {} });
  resumeSwarm = (id: string) =>
    this.request("POST", `/api/swarm/${enc(id)}/resume`, SwarmResponseSchema, { body: {} });

  agentDiff = (id: string) => this.request("GET", `/api/agents/${enc(id)}/diff`, AgentDiffSchema);
  agentLogs = (id: string, query: { tail?: number; after?: number } = {}) =>
    this.request("GET", `/api/agents/${enc(id)}/logs`, AgentLogsSchema, { query });
  listAgents = (query: AgentListQuery = {}) =>
    this.request("GET", "/api/agents", AgentPageSchema, { query: { ...query } });
  /** Every agent matching the query, following the cursor page by page. */
  async allAgents(query: Omit<AgentListQuery, "cursor" | "limit"> = {}): Promise<AgentResponse[]> {
    const agents: AgentResponse[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listAgents({ ...query, limit: 1000, cursor });
      agents.push(...page.agents);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return agents;
  }
  getAgent = (id: string) => this.request("GET", `/api/agents/${enc(id)}`, AgentResponseSchema);
  spawnAgent = (input: {
    swarmId: string;
    name?: string;
    task?: string;
    model?: string;
    parentId?: string;
  }) => this.request("POST", "/api/agents", AgentResponseSchema, { body: input });
  killAgent = (id: string) => this.request("DELETE", `/api/agents/${enc(id)}`, AgentResponseSchema);
  pauseAgent = (id: string) =>
    this.request("POST", `/api/agents/${enc(id)}/pause`, AgentResponseSchema, { body: {} });
  resumeAgent = (id: string) =>
    this.request("POST", `/api/agents/${enc(id)}/resume`, AgentResponseSchema, { body: {} });

  listEvents = (query: { since?: string; type?: string; limit?: number; cursor?: string } = {}) =>
    this.request("GET", "/api/events", EventPageSchema, { query });

  /** The agent's model calls through the gateway, newest first (`cursor`: older than it). */
  listCalls = (id: string, query: { limit?: number; cursor?: string } = {}) =>
    this.request("GET", `/api/agents/${enc(id)}/calls`, ModelCallPageSchema, { query });

  /** The nodes sharing the server's database, their heartbeats and live agents. */
  listNodes = () => this.request("GET", "/api/nodes", NodeListSchema);

  getBudgets = (swarmId?: string) =>
    this.request("GET", "/api/budget", BudgetListSchema, { query: { swarmId } });
  /** Adds to a swarm's budget (a swarm id), or an agent's or project's (`{ agentId }`, `{ project }`). */
  allocate = (
    target: string | { agentId: string } | { project: string; currency?: string },
    amount: number,
  ) =>
    this.request("POST", "/api/budget/allocate", BudgetSchema, {
      body: { ...(typeof target === "string" ? { swarmId: target } : target), amount },
    });

  listApprovals = (query: { status?: ApprovalStatus; swarmId?: string; agentId?: string } = {}) =>
    this.request("GET", "/api/approvals", ApprovalListSchema, { query });
  /** The request; with `wait`, held by the server up to that many seconds while it is pending. */
  getApproval = (id: string, wait?: number) =>
    this.request("GET", `/api/approvals/${enc(id)}`, ApprovalResponseSchema, { query: { wait } });
  requestApproval = (input: {
    title: string;
    agentId?: string;
    details?: Record<string, unknown>;
    timeoutSeconds?: number;
  }) => this.request("POST", "/api/approvals", ApprovalResponseSchema, { body: input });
  /** `choice`: a merge approval's side to keep; approving one merges again (its outcome in `merge`). */
  answerApproval = (id: string, verb: "approve" | "deny", reason?: string, choice?: string) =>
    this.request(
      "POST",
      `/api/approvals/${enc(id)}/${verb}`,
      ApprovalResponseSchema.extend({ merge: MergeOutcomeSchema.optional() }),
      { body: { reason, choice } },
    );

  /** The key this client calls with: its permissions say which actions to offer. */
  whoami = () => this.request("GET", "/api/keys/self", ApiKeySchema);
  listKeys = () => this.request("GET", "/api/keys", ApiKeyListSchema);
  createKey = (input: { name: string; permissions: Permission[]; expiresInDays?: number }) =>
    this.request("POST", "/api/keys", CreatedApiKeySchema, { body: input });
  revokeKey = (id: string) => this.request("DELETE", `/api/keys/${enc(id)}`, ApiKeySchema);
}

const enc = encodeURIComponent;

/** JSON when it parses, else the text itself (for /metrics, and for answers from non-Dash servers). */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
