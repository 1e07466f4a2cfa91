import { afterAll } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "../src/core/worktrees.ts";

/**
 * A temp git repository on `main` with one commit of `files`, removed after the file's tests.
 * `dirty` is left as the user's own unstaged edit, to show nothing of Dash touches the checkout.
 */
export function tempRepo(files: Record<string, string>, dirty?: Record<string, string>) {
  const repo = mkdtempSync(join(tmpdir(), "dash-repo-"));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  git(["init", "-q", "-b", "main"], repo);
  git(["config", "user.name", "Test"], repo);
  git(["config", "user.email", "test@example.com"], repo);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(repo, path), text);
  git(["add", "-A"], repo);
  git(["commit", "-qm", "initial"], repo);
  for (const [path, text] of Object.entries(dirty ?? {})) writeFileSync(join(repo, path), text);
  return { repo, base: git(["rev-parse", "HEAD"], repo) };
}

/** The user's checkout as git sees it: HEAD, branch, status (working tree and index). */
export const checkoutState = (repo: string) => ({
  head: git(["rev-parse", "HEAD"], repo),
  branch: git(["rev-parse", "--abbrev-ref", "HEAD"], repo),
  status: git(["status", "--porcelain"], repo),
});
