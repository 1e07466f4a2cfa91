/** The rows of a long list that a scrolled viewport shows, with spacer heights for the rest. */
export interface RowWindow {
  start: number;
  /** One past the last row to draw. */
  end: number;
  /** Heights of the empty space above and below the drawn rows, so the scroll bar stays true. */
  before: number;
  after: number;
}

/**
 * Which of `total` rows of `rowHeight` px to draw for a viewport `height` px tall scrolled to
 * `scrollTop`, plus `overscan` rows each side (so a fast scroll does not show blank space): a
 * grid of 1,000 agents draws a few dozen rows, whatever its length.
 */
export function rowWindow(
  scrollTop: number,
  height: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, height) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first, total - 1) - overscan);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, before: start * rowHeight, after: (total - end) * rowHeight };
}

/** The scrollTop that brings row `index` into view, moving as little as possible; null when it is in view. */
export function scrollToRow(
  index: number,
  scrollTop: number,
  height: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return null;
}
