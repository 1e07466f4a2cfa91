import type { View } from "./keybindings.ts";

export interface Area {
  width: number;
  height: number;
}
export interface Layout {
  /** Inner sizes (inside the borders) of the panels the view shows; absent = not shown. */
  grid?: Area;
  details?: Area;
  events?: Area;
  settings?: Area;
  /** Side by side (grid left, details and events right) or stacked. */
  wide: boolean;
  /** Rows of the per-swarm budget breakdown. */
  budgetSwarmRows: number;
  /** Outer height of the main area. */
  mainHeight: number;
}

const inner = (width: number, height: number): Area => ({
  width: Math.max(1, width - 2),
  height: Math.max(1, height - 2),
});

/**
 * Panel sizes for a terminal size and view. Header, swarm line and status bar take one row each;
 * the budget panel 2 rows plus up to 4 swarms when there is room; the main area gets the rest.
 * At 80×24 the grid still shows 7 agents and the stream 3 events.
 */
export function layoutFor(width: number, height: number, view: View): Layout {
  const budgetSwarmRows = height >= 40 ? 4 : height >= 30 ? 2 : 0;
  const mainHeight = Math.max(6, height - 3 - (budgetSwarmRows + 4));
  const wide = width >= 110;
  const base = { wide, budgetSwarmRows, mainHeight };
  if (view === "logs") return { ...base, events: inner(width, mainHeight) };
  if (view === "details") return { ...base, details: inner(width, mainHeight) };
  if (view === "settings") return { ...base, settings: inner(width, mainHeight) };
  if (wide) {
    const left = Math.floor(width * 0.55);
    const top = Math.ceil(mainHeight * 0.6);
    return {
      ...base,
      grid: inner(left, mainHeight),
      details: inner(width - left, top),
      events: inner(width - left, mainHeight - top),
    };
  }
  const top = Math.ceil(mainHeight * 0.6);
  return { ...base, grid: inner(width, top), events: inner(width, mainHeight - top) };
}
