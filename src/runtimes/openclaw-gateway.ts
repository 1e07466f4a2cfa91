/**
 * A client of an OpenClaw gateway: WebSocket, JSON text frames, protocol version 4
 * (`../shared/openclaw-gateway.md`). It answers the gateway's `connect.challenge` with `connect`
 * and the token, correlates each request with its response by id under a timeout, and hands every
 * event to a listener. A refusal says why in words an operator can act on.
 */

export const GATEWAY_PROTOCOL = 4;

/** UNREACHABLE, UNAVAILABLE (starting up), TIMEOUT and CLOSED may pass; the others will not by waiting. */
export type GatewayErrorCode =
  | "UNREACHABLE"
  | "UNAVAILABLE"
  | "AUTH"
  | "PROTOCOL"
  | "REFUSED"
  | "TIMEOUT"
  | "CLOSED";

export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface GatewayEvent {
  event: string;
  payload: Record<string, unknown>;
}

export interface GatewayOptions {
  url: string;
  token: string;
  /** Dash's version, told to the gateway in `connect`. */
  version: string;
  /** Per request, and for the handshake (default 15 s). */
  timeoutMs?: number;
  onEvent?: (event: GatewayEvent) => void;
  /** Called once when the connection ends for any reason after the handshake. */
  onClose?: (reason: string) => void;
}

type Frame =
  | { type: "res"; id: string; ok: boolean; payload?: unknown; error?: RemoteError }
  | { type: "event"; event: string; payload?: unknown };
interface RemoteError {
  code?: string;
  message?: string;
  details?: { code?: string } & Record<string, unknown>;
}
interface Pending {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (error: GatewayError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class GatewayConnection {
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private ended: string | null = null;
  serverVersion = "";

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: GatewayOptions,
  ) {}

  /** Opens the socket, answers the challenge and returns once the gateway said hello. */
  static async open(options: GatewayOptions): Promise<GatewayConnection> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const socket = new WebSocket(options.url);
    const connection = new GatewayConnection(socket, options);
    const challenged = Promise.withResolvers<void>();
    let opened = false;
    const timer = setTimeout(
      () =>
        challenged.reject(
          new GatewayError("TIMEOUT", `the gateway at ${options.url} did not greet in ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    socket.addEventListener("open", () => {
      opened = true;
    });
    socket.addEventListener("message", (message) => {
      const frame = parseFrame(message.data);
      if (frame?.type === "event" && frame.event === "connect.challenge") challenged.resolve();
      else if (frame) connection.receive(frame);
    });
    socket.addEventListener("close", (close) => {
      const why = opened
        ? `the gateway closed the connection (${close.code}${close.reason ? ` ${close.reason}` : ""})`
        : `no OpenClaw gateway answers at ${options.url}`;
      challenged.reject(new GatewayError(opened ? "CLOSED" : "UNREACHABLE", why));
      connection.end(why);
    });
    try {
      await challenged.promise;
      const hello = (await connection.request("connect", {
        minProtocol: GATEWAY_PROTOCOL,
        maxProtocol: GATEWAY_PROTOCOL,
        client: {
          id: "gateway-client",
          version: options.version,
          platform: process.platform,
          mode: "backend",
        },
        role: "operator",
        scopes: ["operator.read", "operator.write", "operator.admin"],
        caps: [],
        auth: { token: options.token },
      })) as { protocol?: number; server?: { version?: string } };
      if (hello.protocol !== GATEWAY_PROTOCOL) {
        throw new GatewayError(
          "PROTOCOL",
          `the gateway speaks protocol ${hello.protocol}, Dash speaks ${GATEWAY_PROTOCOL}`,
        );
      }
      connection.serverVersion = hello.server?.version ?? "";
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get closed(): boolean {
    return this.ended !== null;
  }

  /** Sends a request; resolves with the payload of an ok answer, rejects with a GatewayError otherwise. */
  request<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    if (this.ended) return Promise.reject(new GatewayError("CLOSED", this.ended));
    const id = `dash-${++this.next}`;
    const limit = timeoutMs ?? this.options.timeoutMs ?? 15_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError("TIMEOUT", `the gateway did not answer ${method} in ${limit} ms`));
      }, limit);
      this.pending.set(id, { method, resolve: resolve as (payload: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  close(): void {
    this.end("closed by Dash");
    this.socket.close();
  }

  private receive(frame: Frame): void {
    if (frame.type === "event") {
      this.options.onEvent?.({
        event: frame.event,
        payload: (frame.payload ?? {}) as Record<string, unknown>,
      });
      return;
    }
    const waiting = this.pending.get(frame.id);
    if (!waiting) return;
    this.pending.delete(frame.id);
    clearTimeout(waiting.timer);
    if (frame.ok) waiting.resolve(frame.payload ?? {});
    else waiting.reject(refusal(waiting.method, frame.error ?? {}));
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = reason;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new GatewayError("CLOSED", `${waiting.method}: ${reason}`));
      this.pending.delete(id);
    }
    this.options.onClose?.(reason);
  }
}

/** A refused request, in words: a wrong token and an unknown method say what to do. */
function refusal(method: string, error: RemoteError): GatewayError {
  const code = error.details?.code ?? error.code ?? "";
  const said = error.message ?? "refused";
  if (/AUTH|TOKEN/i.test(code)) {
    return new GatewayError(
      "AUTH",
      `the OpenClaw gateway refused the token (${code}): set OPENCLAW_GATEWAY_TOKEN to the gateway's token`,
      error,
    );
  }
  if (code === "UNAVAILABLE")
    return new GatewayError("UNAVAILABLE", `the gateway is not ready: ${said}`, error);
  if (/PROTOCOL/i.test(code))
    return new GatewayError("PROTOCOL", `the gateway refused protocol ${GATEWAY_PROTOCOL}: ${said}`, error);
  return new GatewayError("REFUSED", `${method}: ${said}${code ? ` (${code})` : ""}`, error);
}

function parseFrame(data: unknown): Frame | null {
  if (typeof data !== "string") return null;
  try {
    const frame = JSON.parse(data) as Frame;
    return frame && (frame.type === "res" || frame.type === "event") ? frame : null;
  } catch {
    return null;
  }
}
