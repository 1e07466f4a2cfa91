import type { Key, KeyContext, KeyResult, UiState } from "./keybindings.ts";

/**
 * The keys of the approvals overlay (Shift+A), as pure functions like the rest of keybindings.ts:
 * j/k (and ↓/↑, g/G) move through the pending requests, y approves and n denies the selected one
 * after a confirmation, Esc (or a / A again) closes. Other keys wait, as under the help overlay.
 */
export function approvalsKey(ui: UiState, key: Key, ctx: KeyContext): KeyResult {
  const ids = ctx.approvalIds;
  // The selected request, or the first when none is (or it was answered meanwhile).
  const at = Math.max(0, ui.approvalId === null ? 0 : ids.indexOf(ui.approvalId));
  const to = (index: number): KeyResult => ({
    ui: { ...ui, approvalId: ids[Math.min(ids.length - 1, Math.max(0, index))] ?? null },
  });
  const selected = ids[at];
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
      const verb = key.name === "y" ? "approve" : "deny";
      return { ui: { ...ui, approvalId: selected, confirmAnswer: { approvalId: selected, verb } } };
    }
    default:
      return { ui };
  }
}

/** Waiting for the confirmation of an answer: y (or Enter) sends it, any other key cancels. */
export function answering(ui: UiState, key: Key): KeyResult {
  const ask = ui.confirmAnswer;
  const yes = key.name === "y" || key.name === "return";
  return {
    ui: { ...ui, confirmAnswer: null },
    effect: ask && yes ? { type: "answer", approvalId: ask.approvalId, verb: ask.verb } : undefined,
  };
}
