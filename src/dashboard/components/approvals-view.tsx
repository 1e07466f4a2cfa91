import type { ApprovalResponse } from "../../domain/approval.ts";
import { fit, shortId, timeLeft } from "../model/format.ts";
import { type MergeChoice, mergeChoiceOf, sideKeys } from "../model/merge-ask.ts";
import { COLORS } from "../theme.ts";

export interface ApprovalsViewProps {
  /** The pending requests, in display order. */
  approvals: readonly ApprovalResponse[];
  selectedId: string | null;
  /** Agent and swarm names by id. */
  names: (id: string) => string | undefined;
  /** The clock the time left is counted from (epoch ms). */
  now: number;
  /** The terminal's size: the overlay takes what fits of it. */
  width: number;
  height: number;
}

const KIND = 7;
const WHO = 16;
const LEFT = 9;

/** For whom the request was made: the agent's name, else the swarm's (budget requests). */
function whoOf(approval: ApprovalResponse, names: ApprovalsViewProps["names"]): string {
  const id = approval.agentId ?? approval.swarmId;
  return id ? (names(id) ?? shortId(id)) : "—";
}

/** Below a selected merge approval: the files both sides changed, and its sides numbered for 1–9. */
function MergeLines({ merge, width }: { merge: MergeChoice; width: number }) {
  return (
    <>
      <text fg={COLORS.dim}>{fit(`conflict in ${merge.files.join(", ")}: keep which side?`, width)}</text>
      {merge.sides.map((side, i) => (
        <text key={side.name} fg={COLORS.text}>
          {fit(`  ${i + 1}. ${side.name} (${side.branch})`, width)}
        </text>
      ))}
    </>
  );
}

/**
 * Shift+A: the approval requests waiting for an answer, over the dashboard; y/n answer the selected
 * one, and a selected merge approval lists its sides for 1–9 to keep one.
 */
export function ApprovalsView({ approvals, selectedId, names, now, width, height }: ApprovalsViewProps) {
  const outer = Math.max(40, Math.min(100, width - 4));
  const inner = outer - 2;
  const at = Math.max(
    0,
    approvals.findIndex((a) => a.id === selectedId),
  );
  const selected = approvals[at];
  const merge = selected?.kind === "merge" ? mergeChoiceOf(selected.details) : null;
  // Border, column titles and the details line take 4 rows (a merge's sides one more each); the list gets the rest.
  const extra = merge?.sides.length ?? 0;
  const room = Math.max(1, Math.min(approvals.length, height - 8 - extra));
  const start = Math.max(0, at - room + 1);
  const shown = approvals.slice(start, start + room);
  const keys = merge ? `${sideKeys(merge.sides.length)} keep a side` : "y approve";
  const details =
    selected && Object.keys(selected.details).length > 0 ? JSON.stringify(selected.details) : "";
  const title = inner - KIND - WHO - LEFT;
  return (
    <box
      position="absolute"
      top={2}
      left={2}
      width={outer}
      height={Math.max(1, shown.length) + 4 + extra}
      border
      borderStyle="rounded"
      borderColor={COLORS.warn}
      backgroundColor="#111827"
      title={` Approvals ${approvals.length} (${keys} · n deny · Esc closes) `}
      flexDirection="column"
      zIndex={15}
    >
      <text fg={COLORS.dim}>
        {fit(`${fit("KIND", KIND)}${fit("FOR", WHO)}${fit("LEFT", LEFT)}TITLE`, inner)}
      </text>
      {shown.length === 0 ? (
        <text fg={COLORS.dim}>No approval requests are waiting for an answer.</text>
      ) : null}
      {shown.map((a) => {
        const left = Date.parse(a.expiresAt) - now;
        const row = `${fit(a.kind, KIND)}${fit(whoOf(a, names), WHO - 1)} ${fit(timeLeft(left), LEFT)}${fit(a.title, title)}`;
        const chosen = a.id === selected?.id;
        return (
          <text
            key={a.id}
            fg={left < 60_000 ? COLORS.warn : COLORS.text}
            bg={chosen ? COLORS.selected : undefined}
          >
            {row}
          </text>
        );
      })}
      {merge ? (
        <MergeLines merge={merge} width={inner} />
      ) : (
        <text fg={COLORS.dim}>{fit(details ? `details ${details}` : "", inner)}</text>
      )}
    </box>
  );
}
