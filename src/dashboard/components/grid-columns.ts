/** Column widths of the agent grid for a given inner width; TASK takes what is left. */
export interface GridColumns {
  id: number;
  name: number;
  status: number;
  task: number;
  progress: number;
  cost: number;
}

export function gridColumns(width: number): GridColumns {
  const fixed = { id: 9, name: 14, status: 10, progress: 16, cost: 9 };
  const gaps = 5;
  const rest = width - (fixed.id + fixed.name + fixed.status + fixed.progress + fixed.cost + gaps);
  // Narrow terminals drop the ID column before the task shrinks away.
  if (rest < 8) return { ...fixed, id: 0, name: 12, task: Math.max(4, rest + fixed.id + 2) };
  // Wide terminals give names room first (agent names like "api-refactor-12" are the handle).
  const extra = Math.max(0, Math.min(8, rest - 24));
  return { ...fixed, name: fixed.name + extra, task: rest - extra };
}
