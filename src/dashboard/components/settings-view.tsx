import { COLORS } from "../theme.ts";

export interface SettingsViewProps {
  url: string;
  keySource: string;
  version: string;
  batchMs: number;
  /** React's build: the binary and `bun run dash` run the production one (see build.ts). */
  react?: "production" | "development";
  agents: number;
  events: number;
}

/** View 4: where the dashboard is connected and how it runs (read-only; flags and env set them). */
export function SettingsView({ url, keySource, version, batchMs, react, agents, events }: SettingsViewProps) {
  const rows: [string, string][] = [
    ["server", url],
    ["key from", keySource],
    ["dash", version],
    ["render batch", `${batchMs} ms (one redraw per window, whatever the event rate)`],
    ...(react
      ? [
          [
            "React build",
            react === "production" ? "production" : "development: for debugging, memory grows per render",
          ] as [string, string],
        ]
      : []),
    ["event buffer", `${events} of 1000 events`],
    ["agents known", String(agents)],
    ["change", "dash dashboard --url <server> --key <key> (or DASH_URL, DASH_API_KEY)"],
  ];
  return (
    <box flexDirection="column">
      {rows.map(([label, value]) => (
        <text key={label}>
          <span fg={COLORS.dim}>{label.padEnd(14)}</span>
          <span fg={COLORS.text}>{value}</span>
        </text>
      ))}
    </box>
  );
}
