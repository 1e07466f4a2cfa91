import {
  GatewayConnection,
  GatewayError,
  type GatewayEvent,
  type GatewayOptions,
} from "./openclaw-gateway.ts";

/** Errors that waiting and connecting again may cure; a wrong token or protocol will not. */
const PASSING = new Set(["UNREACHABLE", "UNAVAILABLE", "CLOSED", "TIMEOUT"]);

/**
 * One gateway connection that comes back: a request whose connection dropped is sent again on a
 * new one, connecting with backoff (0.25 s doubling to 5 s) for at most `reconnectForMs` since
 * the gateway was last reachable. Runs go on in the gateway while no one is connected.
 */
export class GatewayLink {
  private current: GatewayConnection | null = null;
  private lastGood = Date.now();

  constructor(
    private readonly options: GatewayOptions,
    private readonly reconnectForMs: number,
  ) {}

  set onEvent(listener: (event: GatewayEvent) => void) {
    this.options.onEvent = listener;
  }

  async connection(): Promise<GatewayConnection> {
    if (this.current && !this.current.closed) return this.current;
    for (let attempt = 0; ; attempt++) {
      try {
        this.current = await GatewayConnection.open(this.options);
        this.lastGood = Date.now();
        return this.current;
      } catch (error) {
        if (!(error instanceof GatewayError) || !PASSING.has(error.code)) throw error;
        if (Date.now() - this.lastGood > this.reconnectForMs) {
          const seconds = Math.round((Date.now() - this.lastGood) / 1000);
          throw new GatewayError(error.code, `${error.message} (for ${seconds} s; gave up)`);
        }
        await Bun.sleep(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  }

  /** A request, sent again on a new connection when the connection it went out on dropped. */
  async request<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    for (;;) {
      const connection = await this.connection();
      try {
        const answer = await connection.request<T>(method, params, timeoutMs);
        this.lastGood = Date.now();
        return answer;
      } catch (error) {
        if (!(error instanceof GatewayError) || error.code !== "CLOSED") throw error;
      }
    }
  }

  close(): void {
    this.current?.close();
  }
}
