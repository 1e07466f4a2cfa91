/** @jsxImportSource react */
import { useEffect, useRef } from "react";
import { type AgentCalls, callLine, callsSummary, meteringText } from "../../dashboard/model/calls.ts";
import { money } from "../../dashboard/model/format.ts";
import type { AgentResponse } from "../../domain/agent.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { type AgentActionHandlers, AgentActions } from "./agent-actions.tsx";

export interface AgentDetailsProps {
  agent: AgentResponse;
  swarm: SwarmResponse | undefined;
  calls: AgentCalls | null;
  log: readonly string[];
  /** Null for a key that may only read: no buttons at all. */
  actions: AgentActionHandlers | null;
  onClose: () => void;
}

const count = (n: number) => n.toLocaleString("en-US");
const show = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** The side panel: one agent's fields, its cost broken down, its model calls and its live log. */
export function AgentDetails({ agent, swarm, calls, log, actions, onClose }: AgentDetailsProps) {
  const share = swarm && swarm.budget.spent > 0 ? (agent.cost.amount / swarm.budget.spent) * 100 : null;
  return (
    <aside className="details" aria-labelledby="details-title" data-agent-id={agent.id}>
      <header>
        <h2 id="details-title">{agent.name}</h2>
        <span className={`status status-${agent.status}`}>{agent.status}</span>
        <button type="button" className="close" onClick={onClose} aria-label="Close the details (Esc)">
          ✕
        </button>
      </header>
      {actions ? <AgentActions agent={agent} handlers={actions} /> : null}
      <dl className="fields">
        <Field name="id" value={agent.id} />
        <Field name="swarm" value={swarm ? `${swarm.name} (${swarm.strategy})` : agent.swarmId} />
        <Field name="task" value={agent.task} />
        <Field name="model" value={agent.model} />
        <Field
          name="role"
          value={agent.parentId ? `${agent.role}, child of ${agent.parentId}` : agent.role}
        />
        <Field
          name="progress"
          value={`${agent.progress.current} / ${agent.progress.total} (${Math.round(agent.progress.percentage)}%)`}
        />
        <Field name="retries" value={String(agent.retryCount)} />
        <Field name="sandbox" value={agent.sandbox ?? "-"} />
        <Field name="node" value={agent.nodeId ?? "-"} />
        <Field name="updated" value={new Date(agent.updatedAt).toLocaleString()} />
        {agent.error ? <Field name="error" value={show(agent.error)} /> : null}
        {agent.result !== null && agent.result !== undefined ? (
          <Field name="result" value={show(agent.result)} />
        ) : null}
      </dl>
      <section aria-labelledby="cost-title">
        <h3 id="cost-title">Cost</h3>
        <table className="cost">
          <tbody>
            <tr>
              <th scope="row">prompt tokens</th>
              <td className="num">{count(agent.cost.promptTokens)}</td>
            </tr>
            <tr>
              <th scope="row">completion tokens</th>
              <td className="num">{count(agent.cost.completionTokens)}</td>
            </tr>
            <tr>
              <th scope="row">total</th>
              <td className="num" data-cost={agent.cost.amount}>
                {money(agent.cost.amount)}
                {share === null ? "" : ` (${share.toFixed(0)}% of its swarm)`}
              </td>
            </tr>
            <tr>
              <th scope="row">metering</th>
              <td>{meteringText(agent.metering)}</td>
            </tr>
          </tbody>
        </table>
        {agent.metering === "reports" ? null : (
          <p className="calls-summary">model calls: {callsSummary(calls, agent.metering)}</p>
        )}
        {calls && calls.calls.length > 0 ? (
          <ul className="calls">
            {calls.calls.slice(0, 10).map((call) => (
              <li key={call.id}>{callLine(call, true)}</li>
            ))}
          </ul>
        ) : null}
      </section>
      <LogTail lines={log} />
    </aside>
  );
}

function Field({ name, value }: { name: string; value: string }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** The agent's output, newest at the bottom, kept scrolled there as lines arrive. */
function LogTail({ lines }: { lines: readonly string[] }) {
  const box = useRef<HTMLPreElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new line is the trigger
  useEffect(() => {
    const element = box.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [lines]);
  return (
    <section aria-labelledby="log-title" className="log">
      <h3 id="log-title">Log</h3>
      <pre ref={box}>{lines.length === 0 ? "(no output yet)" : lines.join("\n")}</pre>
    </section>
  );
}
