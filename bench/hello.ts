/**
 * The upper bound for the HTTP figures: a bare `Bun.serve` answering "hello" in its own process,
 * loaded exactly like `dash serve` on the same machine. What Dash adds (routing, auth, rate
 * limits, zod, SQLite, JSON) is the gap between the two.
 */
const server = (bodyBytes: number) =>
  `const body = ${bodyBytes > 0 ? `"x".repeat(${bodyBytes})` : '"hello"'};
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(body) });
console.log(server.port);`;

/**
 * Runs `bench` against the hello-world server's URL, then stops it. `bodyBytes`: answer that many
 * bytes instead of "hello" (the bound for a route whose answer is that big: moving the bytes).
 */
export async function withHelloWorld<T>(bench: (url: string) => Promise<T>, bodyBytes = 0): Promise<T> {
  const proc = Bun.spawn([process.execPath, "-e", server(bodyBytes)], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    const port = Number(new TextDecoder().decode(value).trim());
    if (!port) throw new Error("the hello-world server did not print its port");
    return await bench(`http://127.0.0.1:${port}/`);
  } finally {
    proc.kill();
    await proc.exited;
  }
}
