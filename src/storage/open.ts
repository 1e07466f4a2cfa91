import { mkdirSync } from "node:fs";
import type { Config } from "../config.ts";
import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** Which database a server keeps its truth in: one SQLite file, or a PostgreSQL shared by nodes. */
export type StoreKind = "sqlite" | "postgres";

/** The store the config names (`database.url` / DASH_DATABASE_URL: PostgreSQL), opened and migrated. */
export async function openStore(
  config: Pick<Config, "database" | "databasePath" | "home">,
  /** Told what went wrong in the background (the SQLite store's checkpoint worker). */
  warn: (warning: string) => void,
): Promise<{
  store: Store;
  kind: StoreKind;
}> {
  const url = config.database.url;
  // DASH_HOME holds the credentials, runs and workspaces whatever the store (SQLite makes it too).
  mkdirSync(config.home, { recursive: true });
  if (url) {
    // Imported only here: a SQLite server never loads the PostgreSQL store (~330 KiB of heap).
    const { PostgresStore } = await import("./postgres.ts");
    return { store: await PostgresStore.open(url), kind: "postgres" };
  }
  return { store: SqliteStore.open(config.databasePath, { backgroundCheckpoints: warn }), kind: "sqlite" };
}

/** Where the store is, for logs: the file, or the PostgreSQL URL without its password. */
export function storeLocation(config: Pick<Config, "database" | "databasePath">): string {
  const url = config.database.url;
  if (!url) return config.databasePath;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
