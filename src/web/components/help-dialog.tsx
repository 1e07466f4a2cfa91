/** @jsxImportSource react */
import { useEffect, useRef } from "react";

/** The page's keys: the terminal dashboard's where a browser allows them. */
export const WEB_KEYS: readonly (readonly [string, string])[] = [
  ["1 – 5", "agents, swarms, events, budgets, approvals"],
  ["j / ↓, k / ↑", "next / previous row"],
  ["g / G", "first / last row"],
  ["Enter", "open the selected agent's details"],
  ["Esc", "close the details, this help, a dialog; leave a field"],
  ["/", "filter the grid, search the events"],
  ["s", "sort the grid by the next column"],
  ["[ / ]", "previous / next swarm"],
  ["x", "kill the selected agent (asks first)"],
  ["p / u", "pause / resume the selected agent"],
  ["A", "approvals waiting for an answer"],
  ["r", "reload everything from the server"],
  ["?", "this help"],
];

export function HelpDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (open && element && !element.open) element.showModal();
    if (!open && element?.open) element.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      className="help"
      aria-labelledby="help-title"
      onClose={onClose}
      onKeyDown={(event) => {
        if (event.key === "?") onClose();
      }}
    >
      <h2 id="help-title">Keys</h2>
      <dl>
        {WEB_KEYS.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </dialog>
  );
}
