/** Text helpers for a fixed-width terminal grid: every function returns exactly the width asked. */

const BLOCKS = "▁▂▃▄▅▆▇█";

/** `text` cut to `width` columns (with … when cut) and padded with spaces. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  // Line breaks and tabs would break the grid; runs of spaces are kept (padding, alignment).
  const flat = text.replace(/[\r\n\t]+/g, " ");
  if (Bun.stringWidth(flat) <= width) return flat + " ".repeat(width - Bun.stringWidth(flat));
  let out = "";
  for (const char of flat) {
    if (Bun.stringWidth(`${out}${char}…`) > width) break;
    out += char;
  }
  return `${out}…${" ".repeat(Math.max(0, width - Bun.stringWidth(`${out}…`)))}`;
}

/** Right-aligned within `width`. */
export function fitRight(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : " ".repeat(width - text.length) + text;
}

/** A block bar `████░░░░` for 0–100 %. */
export function blockBar(percent: number, width: number): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((clamped / 100) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/** One character per value, scaled to the largest: `▁▁▃▅█▂`. All zero is a flat baseline. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max <= 0) return BLOCKS[0]?.repeat(values.length) ?? "";
  return values.map((v) => BLOCKS[Math.min(7, Math.round((Math.max(0, v) / max) * 7))]).join("");
}

export function money(amount: number, currency: "USD" | "tokens" = "USD"): string {
  if (currency === "tokens") return `${Math.round(amount).toLocaleString("en-US")} tok`;
  return amount !== 0 && Math.abs(amount) < 0.01 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;
}

/** The end of a ULID: its first characters are a timestamp shared by agents made together. */
export function shortId(id: string): string {
  return id.slice(-8).toLowerCase();
}

/** `HH:MM:SS` in local time. */
export function clock(time: number | string): string {
  const date = new Date(time);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** How long until a deadline, to the second: `42s`, `14m 05s`, `2h 03m`; `expired` once past. */
export function timeLeft(ms: number): string {
  if (!(ms > 0)) return "expired";
  const seconds = Math.ceil(ms / 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${two(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${two(Math.floor(seconds / 60) % 60)}m`;
}

/**
 * `text` broken at spaces into lines of at most `width` columns, at most `lines` of them (the last
 * cut with … when more is left). A word longer than a line is cut where the line ends.
 */
export function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let rest = text.replace(/\s+/g, " ").trim();
  while (rest && out.length < lines) {
    if (out.length === lines - 1 || Bun.stringWidth(rest) <= width) {
      out.push(fit(rest, width).trimEnd());
      break;
    }
    const space = rest.lastIndexOf(" ", width);
    const cut = space > 0 ? space : width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  return out;
}
