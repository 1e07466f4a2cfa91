/** @jsxImportSource react */
import type { AgentResponse } from "../../domain/agent.ts";
import { FINISHED_AGENT_STATUSES } from "../../domain/states.ts";
import { ActionButton } from "./action-button.tsx";

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
        <ActionButton action="pause" onClick={() => handlers.pause(agent)}>
          Pause <kbd>p</kbd>
        </ActionButton>
      ) : null}
      {agent.status === "paused" ? (
        <ActionButton action="resume" onClick={() => handlers.resume(agent)}>
          Resume <kbd>u</kbd>
        </ActionButton>
      ) : null}
      <ActionButton action="kill" tone="danger" onClick={() => handlers.kill(agent)}>
        Kill <kbd>x</kbd>
      </ActionButton>
    </div>
  );
}
