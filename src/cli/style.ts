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
  const width = (i: number) => Math.max(header[i]?.length ?? 0, ...rows.map((r) => r[i]?.length ?? 0));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width(i))))
      .join("  ")
      .trimEnd();
  return [bold(line(header)), ...rows.map(line)].join("\n");
}
