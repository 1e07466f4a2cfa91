/**
 * `dash serve` as a child process for the stress runners: port 0, a given DASH_HOME, and its URL
 * read from the "dash serving" log line (the credentials file only names the first start's URL).
 * Its log level must be info or lower for that line to show.
 */

export interface RunningDash {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  /** Resolves with the origin (http://127.0.0.1:port) once serving, or null if the process died first. */
  ready: Promise<string | null>;
}

/** Starts `dash serve` on port 0 and reads the URL from its "dash serving" log line. */
export function startDash(dash: string[], home: string, env: Record<string, string> = {}): RunningDash {
  const proc = Bun.spawn([...dash, "serve", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home, ...env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  // stderr is read to the end (so it never blocks the server); the URL is in its first lines.
  const { promise: ready, resolve } = Promise.withResolvers<string | null>();
  void (async () => {
    const decoder = new TextDecoder();
    let text = "";
    let found = false;
    for await (const chunk of proc.stderr) {
      if (found) continue;
      text += decoder.decode(chunk);
      const line = text.split("\n").find((l) => l.includes('"dash serving"'));
      if (line) {
        found = true;
        resolve(new URL(JSON.parse(line).url as string).origin); // no trailing slash
      }
    }
    resolve(null);
  })();
  return { proc, ready };
}
