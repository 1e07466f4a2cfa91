import type { Key, KeyContext, KeyResult, UiState } from "./keybindings.ts";
import { sideKeys } from "./model/merge-ask.ts";

/**
 * The keys of the approvals overlay (Shift+A), as pure functions like the rest of keybindings.ts:
 * j/k (and ↓/↑, g/G) move through the pending requests, y approves and n denies the selected one
 * after a confirmation, Esc (or a / A again) closes. Other keys wait, as under the help overlay.
 * A merge approval is approved by picking the side to keep (1–9), since approving needs one.
 */
export function approvalsKey(ui: UiState, key: Key, ctx: KeyContext): KeyResult {
  const ids = ctx.approvalIds;
  // The selected request, or the first when none is (or it was answered meanwhile).
  const at = Math.max(0, ui.approvalId === null ? 0 : ids.indexOf(ui.approvalId));
  const to = (index: number): KeyResult => ({
    ui: { ...ui, approvalId: ids[Math.min(ids.length - 1, Math.max(0, index))] ?? null },
  });
  const selected = ids[at];
  const sides = selected === undefined ? undefined : ctx.mergeSides?.get(selected);
  const digit = key.sequence.length === 1 ? Number(key.sequence) : Number.NaN;
  if (digit >= 1 && digit <= 9) {
    return selected !== undefined && sides ? pickSide(ui, selected, sides, digit) : { ui };
  }
  switch (key.name) {
    case "escape":
    case "a":
      return { ui: { ...ui, approvals: false } };
    case "j":
    case "down":
      return to(at + 1);
    case "k":
    case "up":
      return to(at - 1);
    case "g":
      return to(key.shift ? ids.length - 1 : 0);
    case "y":
    case "n": {
      if (selected === undefined) return { ui };
      // Approving a merge approval means keeping one side, and y names none: say which keys do.
      if (sides && key.name === "y") return { ui, effect: pickNotice(sides) };
      const verb = key.name === "y" ? "approve" : "deny";
      return { ui: { ...ui, approvalId: selected, confirmAnswer: { approvalId: selected, verb } } };
    }
    default:
      return { ui };
  }
}

/** The `n`th side (from 1) of a merge approval, to approve keeping it after the confirmation. */
function pickSide(ui: UiState, approvalId: string, sides: readonly string[], n: number): KeyResult {
  const choice = sides[n - 1];
  if (choice === undefined) return { ui, effect: pickNotice(sides) };
  return { ui: { ...ui, approvalId, confirmAnswer: { approvalId, verb: "approve", choice } } };
}

function pickNotice(sides: readonly string[]): KeyResult["effect"] {
  const text =
    sides.length === 0
      ? "this merge approval lists no sides to keep: n denies it"
      : `pick the side to keep: ${sideKeys(sides.length)}`;
  return { type: "notice", text };
}

/** Waiting for the confirmation of an answer: y (or Enter) sends it, any other key cancels. */
export function answering(ui: UiState, key: Key): KeyResult {
  const ask = ui.confirmAnswer;
  const yes = key.name === "y" || key.name === "return";
  return { ui: { ...ui, confirmAnswer: null }, effect: ask && yes ? { type: "answer", ...ask } : undefined };
}
