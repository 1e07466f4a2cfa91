import { SQL } from "bun";
import type { Config } from "../config.ts";
import { storeLocation } from "../storage/open.ts";
import { fail, type Outcome, ok, warn } from "./doctor-checks.ts";

/**
 * The database check of a PostgreSQL node (database.url / DASH_DATABASE_URL): the server answers,
 * and how far it is migrated. Doctor only looks: it never migrates, and the password is never shown.
 */
export async function postgresReachable(config: Config, url: string): Promise<Outcome> {
  const shown = storeLocation(config);
  const sql = new SQL(url, { max: 1, connectionTimeout: 3, idleTimeout: 1 });
  try {
    const [server] = await sql`SHOW server_version`;
    const migrated = await sql`SELECT to_regclass('_migrations') IS NOT NULL AS present`;
    const version = String((server as { server_version?: string }).server_version ?? "?");
    if (!(migrated[0] as { present: boolean }).present)
      return warn(
        `${shown}: PostgreSQL ${version}, not migrated yet`,
        "`dash serve` (or `dash migrate`) migrates it",
      );
    const [row] = await sql`SELECT COALESCE(MAX(version), 0) AS v FROM _migrations`;
    return ok(`${shown}: PostgreSQL ${version}, at migration ${Number((row as { v: number | bigint }).v)}`);
  } catch (error) {
    return fail(
      `${shown} does not answer: ${(error as Error).message}`,
      "start PostgreSQL, or fix database.url in config.yaml / DASH_DATABASE_URL (user, host, port, database)",
    );
  } finally {
    await sql.close({ timeout: 0 });
  }
}
