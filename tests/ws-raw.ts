/**
 * A WebSocket client on a bare TCP socket, for what a browser-grade client will not do: never
 * read, or never answer a ping. It parses the server's frames (unmasked, as servers send them).
 */
import net from "node:net";

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawSocket {
  socket: net.Socket;
  /** Resolves once the 101 answer has come. */
  upgraded: Promise<void>;
  /** Bytes received after the 101 answer. */
  bytes: () => number;
  /** Complete frames received so far. */
  frames: () => RawFrame[];
  /** Resolves when the server has closed the TCP connection. */
  ended: Promise<void>;
}

function parseFrames(data: Buffer): RawFrame[] {
  const frames: RawFrame[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = (data[at] as number) & 0x0f;
    let length = (data[at + 1] as number) & 0x7f;
    let header = 2;
    if (length === 126) {
      if (at + 4 > data.length) break;
      length = data.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (at + 10 > data.length) break;
      length = Number(data.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (at + header + length > data.length) break;
    frames.push({ opcode, payload: data.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return frames;
}

/** Connects to `url` (ws://host:port/path?query); with `pauseAfterUpgrade` it stops reading at once. */
export function rawWebSocket(url: string, options: { pauseAfterUpgrade?: boolean } = {}): RawSocket {
  const target = new URL(url);
  const socket = net.connect(Number(target.port), target.hostname);
  const chunks: Buffer[] = [];
  let upgradedResolve: () => void = () => {};
  const upgraded = new Promise<void>((resolve) => {
    upgradedResolve = resolve;
  });
  let head = Buffer.alloc(0);
  let isUpgraded = false;
  socket.on("data", (data: Buffer) => {
    if (isUpgraded) return void chunks.push(data);
    head = Buffer.concat([head, data]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    isUpgraded = true;
    chunks.push(head.subarray(end + 4));
    upgradedResolve();
    if (options.pauseAfterUpgrade) socket.pause();
  });
  socket.write(
    `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  const ended = new Promise<void>((resolve) => {
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
  return {
    socket,
    upgraded,
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    frames: () => parseFrames(Buffer.concat(chunks)),
    ended,
  };
}

/** The code and reason of a close frame (opcode 8). */
export function closeOf(frame: RawFrame): { code: number; reason: string } {
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString("utf8") };
}
