import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const CHUNK = 64 * 1024;

/** The last `count` lines of a log and its size, reading backwards from the end (not the whole file). */
export function readLogTail(path: string, count: number): { lines: string[]; size: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { lines: [], size: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    let position = size;
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, position);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 10) newlines++;
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    return { lines: count === 0 ? [] : lines.slice(-count), size };
  } finally {
    closeSync(fd);
  }
}
