/** @jsxImportSource react */
import type { ReactNode } from "react";

export interface ActionButtonProps {
  /** What it does, as `data-action` (the tests and the styles find it by that). */
  action: string;
  tone?: "danger" | "primary";
  onClick: () => void;
  children: ReactNode;
}

/** One action's button; shown only to a key that may act (the callers decide). */
export function ActionButton({ action, tone, onClick, children }: ActionButtonProps) {
  return (
    <button type="button" className={tone} data-action={action} onClick={onClick}>
      {children}
    </button>
  );
}
