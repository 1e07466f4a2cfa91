/**
 * A TCP proxy on 127.0.0.1 in front of a server, which a test can cut: every connection through it
 * is closed and new ones are refused until it is restored. A browser behind it loses its WebSocket
 * as it would on a dropped network, while the server goes on (and its events go on being written).
 */
import type { Socket } from "bun";

export interface CuttableProxy {
  /** http://127.0.0.1:<port>: what the browser opens instead of the server. */
  url: string;
  cut(): void;
  restore(): void;
  stop(): void;
}

interface Pair {
  upstream: Socket<Pair> | null;
  /** What the client sent before the upstream connection was open. */
  early: Uint8Array[];
  client: Socket<Pair>;
}

export async function cuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  let down = false;
  const open = new Set<Pair>();
  const server = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        if (down) return void client.end();
        const pair: Pair = { upstream: null, early: [], client };
        client.data = pair;
        open.add(pair);
        try {
          pair.upstream = await Bun.connect<Pair>({
            hostname,
            port: Number(port),
            data: pair,
            socket: {
              data: (_, chunk) => void pair.client.write(chunk),
              close: () => void pair.client.end(),
              error: () => void pair.client.end(),
            },
          });
        } catch {
          client.end();
          return;
        }
        for (const chunk of pair.early) pair.upstream.write(chunk);
        pair.early = [];
      },
      data(client, chunk) {
        const pair = client.data;
        if (pair.upstream) pair.upstream.write(chunk);
        else pair.early.push(new Uint8Array(chunk));
      },
      close(client) {
        client.data?.upstream?.end();
        if (client.data) open.delete(client.data);
      },
      error(client) {
        client.data?.upstream?.end();
      },
    },
  });
  const closeAll = () => {
    for (const pair of open) {
      pair.upstream?.end();
      pair.client.end();
    }
    open.clear();
  };
  return {
    url: `http://127.0.0.1:${server.port}`,
    cut: () => {
      down = true;
      closeAll();
    },
    restore: () => {
      down = false;
    },
    stop: () => {
      closeAll();
      server.stop(true);
    },
  };
}
