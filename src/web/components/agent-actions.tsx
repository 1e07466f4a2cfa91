/** @jsxImportSource react */
import type { AgentResponse } from "../../domain/agent.ts";
import { FINISHED_AGENT_STATUSES } from "../../domain/states.ts";

export interface AgentActionHandlers {
  pause: (agent: AgentResponse) => void;
  resume: (agent: AgentResponse) => void;
  /** Asks first. */
  kill: (agent: AgentResponse) => void;
}

/** The buttons of what the agent's status allows; the page shows them only to a key that may act. */
export function AgentActions({ agent, handlers }: { agent: AgentResponse; handlers: AgentActionHandlers }) {
  if (FINISHED_AGENT_STATUSES.has(agent.status)) return null;
  return (
    <div className="actions" role="toolbar" aria-label={`actions on ${agent.name}`}>
      {agent.status === "running" ? (
        <button type="button" data-action="pause" onClick={() => handlers.pause(agent)}>
          Pause <kbd>p</kbd>
        </button>
      ) : null}
      {agent.status === "paused" ? (
        <button type="button" data-action="resume" onClick={() => handlers.resume(agent)}>
          Resume <kbd>u</kbd>
        </button>
      ) : null}
      <button type="button" className="danger" data-action="kill" onClick={() => handlers.kill(agent)}>
        Kill <kbd>x</kbd>
      </button>
    </div>
  );
}
