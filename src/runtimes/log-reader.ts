import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** A line of an agent's output log and the byte offset just past it (its newline included). */
export interface LogLine {
  text: string;
  end: number;
}

/** Past this, a line with no newline yet is taken as it is (as log): memory stays bounded. */
const MAX_LINE_BYTES = 1024 * 1024;
const CHUNK = 256 * 1024;

/**
 * Reads an append-only log from a byte offset, one complete line at a time. The offset of each
 * line's end is what the supervisor stores with the report that line carried.
 */
export class LogReader {
  private fd: number | null = null;
  private pending = Buffer.alloc(0);
  /** Offset of the first byte of `pending` in the file. */
  private pendingStart: number;

  constructor(
    private readonly path: string,
    offset: number,
  ) {
    this.pendingStart = offset;
  }

  /** New complete lines; with `final`, a last line without a newline too. */
  read(final = false): LogLine[] {
    this.fd ??= this.open();
    if (this.fd === null) return [];
    const size = fstatSync(this.fd).size;
    let position = this.pendingStart + this.pending.length;
    const chunks: Buffer[] = [this.pending];
    while (position < size) {
      const buffer = Buffer.alloc(Math.min(CHUNK, size - position));
      const n = readSync(this.fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      chunks.push(buffer.subarray(0, n));
      position += n;
    }
    const data = chunks.length === 1 ? this.pending : Buffer.concat(chunks);
    const lines: LogLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      lines.push({ text: data.toString("utf8", start, nl), end: this.pendingStart + nl + 1 });
      start = nl + 1;
    }
    if ((final || data.length - start > MAX_LINE_BYTES) && start < data.length) {
      lines.push({ text: data.toString("utf8", start), end: this.pendingStart + data.length });
      start = data.length;
    }
    this.pending = data.subarray(start);
    this.pendingStart += start;
    return lines;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number | null {
    try {
      return openSync(this.path, "r");
    } catch {
      return null;
    }
  }
}
