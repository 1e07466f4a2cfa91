import net from "node:net";

/*
 * A WebSocket client on a bare TCP socket for the WS fuzz: it writes any request line and headers and
 * any frame (unmasked, reserved bits, bad opcodes, split at any byte), which Bun's WebSocket refuses
 * to do, and reads every server frame as sent. It answers the server's heartbeat pings like a browser.
 */

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface WireFrame {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  masked?: boolean;
  rsv?: number;
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** `p`, or "timeout" after `ms` (the timer is cleared either way, so none outlives the test). */
export function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// A fixed mask key keeps a seed's bytes identical from run to run.
const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

/** One client frame on the wire (RFC 6455 §5.2); `masked: false` and `rsv` break the protocol on purpose. */
export function encode({ opcode, payload, fin = true, masked = true, rsv = 0 }: WireFrame): Buffer {
  const n = payload.length;
  const head = Buffer.alloc(14);
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const mask = masked ? 0x80 : 0;
  let at = 2;
  if (n < 126) head[1] = mask | n;
  else if (n < 65_536) {
    head[1] = mask | 126;
    head.writeUInt16BE(n, 2);
    at = 4;
  } else {
    head[1] = mask | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
    at = 10;
  }
  if (!masked) return Buffer.concat([head.subarray(0, at), payload]);
  head.set(MASK, at);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i] = (body[i] as number) ^ (MASK[i & 3] as number);
  return Buffer.concat([head.subarray(0, at + 4), body]);
}

/** Complete server frames at the start of `data`, and how many bytes they took. */
function parseFrames(data: Buffer): { frames: ServerFrame[]; used: number } {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    let length = (data[at + 1] as number) & 0x7f;
    let header = 2;
    if (length === 126) {
      if (at + 4 > data.length) break;
      [length, header] = [data.readUInt16BE(at + 2), 4];
    } else if (length === 127) {
      if (at + 10 > data.length) break;
      [length, header] = [Number(data.readBigUInt64BE(at + 2)), 10];
    }
    if (at + header + length > data.length) break;
    const opcode = (data[at] as number) & 0x0f;
    frames.push({ opcode, payload: Buffer.from(data.subarray(at + header, at + header + length)) });
    at += header + length;
  }
  return { frames, used: at };
}

export interface Answer {
  status: number;
  head: string;
  /** The body of a non-101 answer (as far as it came before the connection ended). */
  body: string;
}

export interface RawConnection {
  /** The HTTP answer to the upgrade; null when the server closed without one. */
  answer: Promise<Answer | null>;
  frames: ServerFrame[];
  write: (bytes: Buffer) => void;
  /** Stops answering pings: after a close or a protocol violation of ours nothing more may be sent. */
  quiet: () => void;
  ended: () => boolean;
  /** Waits until `check()` holds or the connection ends; false if `ms` passed first. */
  until: (check: () => boolean, ms: number) => Promise<boolean>;
  destroy: () => void;
}

export function connectRaw(port: number, requestHead: string): RawConnection {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  const frames: ServerFrame[] = [];
  let buffered = Buffer.alloc(0);
  let answer: Answer | null = null;
  let ended = false;
  let quiet = false;
  let wake = () => {};
  let settle: (a: Answer | null) => void = () => {};
  const answered = new Promise<Answer | null>((resolve) => {
    settle = resolve;
  });
  const changed = () => {
    wake();
    if (answer && (answer.status === 101 || ended)) settle(answer);
    if (ended) settle(answer);
  };
  socket.on("data", (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    if (!answer) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString("latin1");
      answer = { status: Number(head.split(" ")[1]), head, body: "" };
      buffered = buffered.subarray(end + 4);
    }
    if (answer.status !== 101) {
      answer.body = buffered.toString("utf8");
      const length = /content-length: *(\d+)/i.exec(answer.head)?.[1];
      if (length !== undefined && buffered.length >= Number(length)) settle(answer);
      return changed();
    }
    const { frames: parsed, used } = parseFrames(buffered);
    buffered = buffered.subarray(used);
    for (const frame of parsed) {
      frames.push(frame);
      if (frame.opcode === OP.ping && !quiet)
        socket.write(encode({ opcode: OP.pong, payload: frame.payload }));
    }
    changed();
  });
  const end = () => {
    ended = true;
    changed();
  };
  socket.on("close", end);
  socket.on("error", end);
  socket.write(requestHead);
  return {
    answer: answered,
    frames,
    write: (bytes) => void (ended || socket.write(bytes)),
    quiet: () => {
      quiet = true;
    },
    ended: () => ended,
    async until(check, ms) {
      const deadline = Date.now() + ms;
      while (!check() && !ended && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return check();
    },
    destroy: () => socket.destroy(),
  };
}
