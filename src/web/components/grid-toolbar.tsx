/** @jsxImportSource react */
import type { AgentTableQuery } from "../../dashboard/model/agent-table.ts";
import { AGENT_STATUSES } from "../../domain/states.ts";
import type { SwarmResponse } from "../../domain/swarm.ts";
import { SearchField } from "./search-field.tsx";

export interface GridToolbarProps {
  query: AgentTableQuery;
  swarms: readonly SwarmResponse[];
  shown: number;
  total: number;
  onQuery: (query: AgentTableQuery) => void;
}

/** Filter words (`/` focuses it), a status and a swarm to narrow the grid to, and what is shown of all. */
export function GridToolbar({ query, swarms, shown, total, onQuery }: GridToolbarProps) {
  return (
    <search className="toolbar">
      <SearchField
        id="agent-filter"
        label="Filter"
        placeholder="name, task, model… ( / )"
        value={query.filter}
        onChange={(filter) => onQuery({ ...query, filter })}
      />
      <label>
        <span className="label">Status</span>
        <select
          id="agent-status"
          value={query.status ?? ""}
          onChange={(event) => onQuery({ ...query, status: event.target.value || null })}
        >
          <option value="">all</option>
          {AGENT_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="label">Swarm</span>
        <select
          id="agent-swarm"
          value={query.swarmId ?? ""}
          onChange={(event) => onQuery({ ...query, swarmId: event.target.value || null })}
        >
          <option value="">all</option>
          {swarms.map((swarm) => (
            <option key={swarm.id} value={swarm.id}>
              {swarm.name}
            </option>
          ))}
        </select>
      </label>
      <output className="count" aria-live="polite">
        {shown === total ? `${total} agents` : `${shown} of ${total} agents`}
      </output>
    </search>
  );
}
