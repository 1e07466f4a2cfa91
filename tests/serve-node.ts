/**
 * A `dash serve` process (from source or the compiled binary) as a node of a shared database:
 * started on a free loopback port, its stderr drained for its whole life (a closed pipe would end
 * it at its next log line), and what its "dash serving" line says: its URL and node id.
 */
export interface ServedNode {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  origin: string;
  node: string;
  serving: Record<string, unknown>;
  log: () => string;
}

export async function serveNode(argv: string[], env: Record<string, string>): Promise<ServedNode> {
  const proc = Bun.spawn([...argv, "serve", "--port", "0"], {
    env,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of proc.stderr) log += decoder.decode(chunk);
  })();
  for (const end = Date.now() + 20_000; !log.includes('"dash serving"') && Date.now() < end; )
    await Bun.sleep(20);
  const line = log.split("\n").find((l) => l.includes('"dash serving"'));
  if (!line) throw new Error(`dash serve did not start:\n${log.slice(-2000)}`);
  const serving = JSON.parse(line) as Record<string, unknown>;
  return {
    proc,
    origin: new URL(String(serving.url)).origin,
    node: String(serving.node),
    serving,
    log: () => log,
  };
}
