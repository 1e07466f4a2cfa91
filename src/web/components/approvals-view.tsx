/** @jsxImportSource react */
import { memo } from "react";
import { money, timeLeft } from "../../dashboard/model/format.ts";
import { mergeChoiceOf } from "../../dashboard/model/merge-ask.ts";
import type { ApprovalResponse } from "../../domain/approval.ts";
import { ActionButton } from "./action-button.tsx";

export interface ApprovalHandlers {
  /** Each asks first; approving a merge approval names the side to keep. */
  approve: (approval: ApprovalResponse, choice?: string) => void;
  deny: (approval: ApprovalResponse) => void;
}

export interface ApprovalsViewProps {
  approvals: readonly ApprovalResponse[];
  names: (id: string) => string | undefined;
  now: number;
  /** Null for a key that may only read. */
  actions: ApprovalHandlers | null;
}

/** The requests waiting for an answer, the soonest to time out first, each with its context. */
export function ApprovalsView({ approvals, names, now, actions }: ApprovalsViewProps) {
  if (approvals.length === 0) return <p className="empty">No approval is waiting for an answer.</p>;
  return (
    <div className="approvals">
      {approvals.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} names={names} now={now} actions={actions} />
      ))}
    </div>
  );
}

interface CardProps {
  approval: ApprovalResponse;
  names: (id: string) => string | undefined;
  now: number;
  actions: ApprovalHandlers | null;
}

/** `jarvis spent $0.50 · swarm web $2.10`: what the request has cost so far. */
function spendLine(context: NonNullable<ApprovalResponse["context"]>): string {
  const parts = [];
  if (context.agent) parts.push(`${context.agent.name} spent ${money(context.agent.costUsd)}`);
  if (context.swarm) parts.push(`swarm ${context.swarm.name} ${money(context.swarm.costUsd)}`);
  return parts.join(" · ");
}

const ApprovalCard = memo(function ApprovalCard({ approval, names, now, actions }: CardProps) {
  const merge = approval.kind === "merge" ? mergeChoiceOf(approval.details) : null;
  const context = approval.context;
  const who = approval.agentId
    ? names(approval.agentId)
    : approval.swarmId
      ? names(approval.swarmId)
      : undefined;
  const left = Date.parse(approval.expiresAt) - now;
  const onTimeout = context?.onTimeout.action ?? approval.onTimeout ?? "deny";
  return (
    <article className="approval" data-approval-id={approval.id} aria-labelledby={`approval-${approval.id}`}>
      <header>
        <h2 id={`approval-${approval.id}`}>{approval.title}</h2>
        <span className="dim">
          {approval.kind} · {who ?? "-"} · {left > 0 ? `${timeLeft(left)} left` : "timing out"}, then{" "}
          {onTimeout}
          {approval.escalatedAt ? " · escalated" : ""}
        </span>
      </header>
      {context?.task ? <p className="task">{context.task}</p> : null}
      {context ? <p className="dim">{spendLine(context)}</p> : null}
      {context?.files && context.files.length > 0 ? (
        <ul className="files" aria-label="files it changed">
          {context.files.map((f) => (
            <li key={f.path}>
              {f.path} <span className="dim">{f.untracked ? "new" : `+${f.insertions} −${f.deletions}`}</span>
            </li>
          ))}
          {context.filesMore ? <li className="dim">and {context.filesMore} more</li> : null}
        </ul>
      ) : null}
      {context && context.log.length > 0 ? <pre className="context-log">{context.log.join("\n")}</pre> : null}
      {merge ? (
        <div className="merge">
          <p>
            Both sides changed {merge.files.join(", ")} in {merge.target}; keep one:
          </p>
          <ul className="sides">
            {merge.sides.map((side) => (
              <li key={side.name}>
                <strong>{side.name}</strong> <span className="dim">{side.branch}</span>{" "}
                {actions ? (
                  <button
                    type="button"
                    data-action="keep"
                    data-side={side.name}
                    onClick={() => actions.approve(approval, side.name)}
                  >
                    Keep {side.name}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {actions ? (
        <div className="actions" role="toolbar" aria-label={`answer ${approval.title}`}>
          {merge ? null : (
            <ActionButton action="approve" tone="primary" onClick={() => actions.approve(approval)}>
              Approve
            </ActionButton>
          )}
          <ActionButton action="deny" tone="danger" onClick={() => actions.deny(approval)}>
            Deny
          </ActionButton>
        </div>
      ) : (
        <p className="dim">
          Answer with <code>{context?.answer.approve ?? `dash approvals approve ${approval.id}`}</code> (this
          key may only read).
        </p>
      )}
    </article>
  );
});
