/** Colors for people, plain text for pipes and NO_COLOR (https://no-color.org). */
const enabled = (): boolean =>
  !process.env.NO_COLOR && (Boolean(process.env.FORCE_COLOR) || Boolean(process.stdout.isTTY));

const paint = (open: number, close: number) => (text: string) =>
  enabled() ? `\x1b[${open}m${text}\x1b[${close}m` : text;

export const bold = paint(1, 22);
export const dim = paint(2, 22);
export const red = paint(31, 39);
export const green = paint(32, 39);
export const yellow = paint(33, 39);
export const cyan = paint(36, 39);

/** Left-aligned columns; the widths follow the widest cell. */
export function table(header: string[], rows: string[][]): string {
  // Widths as the terminal shows them: colour codes take no room, wide characters take two.
  const cellWidth = (c: string | undefined) => (c === undefined ? 0 : Bun.stringWidth(c));
  const width = (i: number) => Math.max(cellWidth(header[i]), ...rows.map((r) => cellWidth(r[i])));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, width(i) - cellWidth(c)))))
      .join("  ")
      .trimEnd();
  return [bold(line(header)), ...rows.map(line)].join("\n");
}
