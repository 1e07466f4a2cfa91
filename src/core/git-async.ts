/**
 * git without blocking the server: a merge of 50 branches is ~1.4 s of git, which run
 * synchronously would stall every request and WebSocket meanwhile. argv only, never a shell.
 */
export interface GitRun {
  code: number;
  out: string;
  err: string;
}

export async function gitRun(args: string[], cwd: string): Promise<GitRun> {
  const proc = Bun.spawn(["git", ...args], {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: out.trim(), err: err.trim() };
}

/** git's stdout trimmed, or an error with git's own words. */
export async function gitOut(args: string[], cwd: string): Promise<string> {
  const run = await gitRun(args, cwd);
  if (run.code !== 0) throw new Error(`git ${args[0]}: ${run.err || run.out || `exit ${run.code}`}`);
  return run.out;
}

export const gitOk = async (args: string[], cwd: string) => (await gitRun(args, cwd)).code === 0;

/** The commit a branch points at, or null when there is no such branch. */
export async function branchCommit(repo: string, branch: string): Promise<string | null> {
  const run = await gitRun(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], repo);
  return run.code === 0 ? run.out : null;
}

/** Where a branch is checked out (any worktree of the repository), or null. */
export async function checkedOutAt(repo: string, branch: string): Promise<string | null> {
  let path: string | null = null;
  for (const line of (await gitOut(["worktree", "list", "--porcelain"], repo)).split("\n")) {
    if (line.startsWith("worktree ")) path = line.slice("worktree ".length);
    if (line === `branch refs/heads/${branch}`) return path;
  }
  return null;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `job` after every earlier job of the same key (a repository, a swarm's merge): git
 * operations on one repository's worktrees take its locks, so they go one at a time, as they did
 * when they blocked, without stalling the server.
 */
export async function oneAtATime<T>(key: string, job: () => Promise<T>): Promise<T> {
  const next = (queues.get(key) ?? Promise.resolve()).catch(() => {}).then(job);
  queues.set(key, next);
  try {
    return await next;
  } finally {
    if (queues.get(key) === next) queues.delete(key);
  }
}
