import { money } from "../model/format.ts";
import type { ConnectionState } from "../model/store.ts";
import { COLORS } from "../theme.ts";

export interface HeaderProps {
  agents: number;
  running: number;
  swarms: number;
  spent: number;
  allocated: number;
  connection: ConnectionState;
  /** Approval requests waiting for an answer (`a` lists them). */
  approvals: number;
}

const CONNECTION: Record<ConnectionState, [string, string]> = {
  connecting: ["◌ connecting", COLORS.warn],
  live: ["● live", COLORS.ok],
  reconnecting: ["◌ reconnecting", COLORS.warn],
  offline: ["○ offline", COLORS.error],
};

/** Logo, the counts an operator checks first, what waits for them, and whether what they see is live. */
export function Header({ agents, running, swarms, spent, allocated, connection, approvals }: HeaderProps) {
  const [label, color] = CONNECTION[connection];
  return (
    <box flexDirection="row" height={1} justifyContent="space-between">
      <text>
        <span fg={COLORS.accent}>◆ DASH</span>
        <span fg={COLORS.dim}> │ </span>
        <span fg={COLORS.text}>agents {agents}</span>
        <span fg={COLORS.ok}> ({running} running)</span>
        <span fg={COLORS.dim}> │ </span>
        <span fg={COLORS.text}>swarms {swarms}</span>
        <span fg={COLORS.dim}> │ </span>
        <span fg={COLORS.text}>
          {money(spent)} / {money(allocated)}
        </span>
      </text>
      <text>
        {approvals > 0 ? (
          <span fg={COLORS.warn}>{` ${approvals} approval${approvals === 1 ? "" : "s"} `}</span>
        ) : null}
        <span fg={color}>{label}</span>
      </text>
    </box>
  );
}
