import { useEffect, useRef } from "react";

export type Shortcuts = ReadonlyMap<string, () => void>;

/** Keys typed into a field belong to the field; Escape still leaves it. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName);
}

/**
 * The page's keys, the terminal dashboard's where they make sense (`j`/`k`, `/`, `?`, `x`, `s`,
 * `[`/`]`, `1`–`5`): `event.key` → handler, read fresh on each press. Ignored while a modal dialog
 * is open (it has its own keys) and with Ctrl, Alt or Meta held (the browser's own shortcuts).
 */
export function useShortcuts(shortcuts: Shortcuts): void {
  const current = useRef(shortcuts);
  current.current = shortcuts;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      if (document.querySelector("dialog[open]")) return;
      if (typing(event.target)) {
        if (event.key === "Escape" && event.target instanceof HTMLElement) event.target.blur();
        return;
      }
      const handler = current.current.get(event.key);
      if (!handler) return;
      event.preventDefault();
      handler();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
