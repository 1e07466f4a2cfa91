/**
 * The upper bound for the HTTP figures: a bare `Bun.serve` answering "hello" in its own process,
 * loaded exactly like `dash serve` on the same machine. What Dash adds (routing, auth, rate
 * limits, zod, SQLite, JSON) is the gap between the two.
 */
import { type LoadOptions, type LoadResult, runLoad } from "./load.ts";

const SERVER = `const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("hello") });
console.log(server.port);`;

export async function helloWorld(load: Omit<LoadOptions, "name" | "url">): Promise<LoadResult> {
  const proc = Bun.spawn([process.execPath, "-e", SERVER], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = proc.stdout.getReader();
    const { value } = await reader.read();
    const port = Number(new TextDecoder().decode(value).trim());
    if (!port) throw new Error("the hello-world server did not print its port");
    return await runLoad({ ...load, name: "bare Bun.serve hello-world", url: `http://127.0.0.1:${port}/` });
  } finally {
    proc.kill();
    await proc.exited;
  }
}
