/** @jsxImportSource react */
import { useEffect, useRef } from "react";
import type { Ask } from "../hooks/use-actions.ts";

export interface ConfirmDialogProps {
  ask: Ask | null;
  onAnswer: (yes: boolean) => void;
}

/**
 * Asks before a kill, a destroy or an answer: a modal `<dialog>` (focus stays in it, Escape is
 * no), the safe button focused first so a stray Enter does nothing harmful; `y` is yes, `n` no.
 */
export function ConfirmDialog({ ask, onAnswer }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (ask && !element.open) {
      element.showModal();
      cancel.current?.focus();
    }
    if (!ask && element.open) element.close();
  }, [ask]);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        onAnswer(false);
      }}
      onKeyDown={(event) => {
        if (event.key === "y") onAnswer(true);
        if (event.key === "n") onAnswer(false);
      }}
    >
      {ask ? (
        <>
          <h2 id="confirm-title">{ask.title}</h2>
          <p>{ask.body}</p>
          <div className="buttons">
            <button type="button" ref={cancel} onClick={() => onAnswer(false)}>
              Cancel <kbd>n</kbd>
            </button>
            <button
              type="button"
              className={ask.danger ? "danger" : "primary"}
              data-confirm="yes"
              onClick={() => onAnswer(true)}
            >
              {ask.confirm} <kbd>y</kbd>
            </button>
          </div>
        </>
      ) : null}
    </dialog>
  );
}
