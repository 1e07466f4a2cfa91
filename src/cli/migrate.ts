import { defineCommand } from "citty";
import { loadConfig } from "../config.ts";
import { DashError } from "../domain/errors.ts";
import { copyToPostgres } from "../storage/copy-to-postgres.ts";
import { migrateUp } from "../storage/migrate.ts";
import { openMigrator } from "../storage/migrator.ts";
import { openDatabase } from "../storage/sqlite-db.ts";
import { dim, green, red, table, yellow } from "./style.ts";

const pad = (v: number) => String(v).padStart(3, "0");

/** `--copy-to`: the SQLite file (migrated first) into an empty PostgreSQL database. */
async function copy(databasePath: string, url: string, json: boolean): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new DashError("VALIDATION_ERROR", `--copy-to needs a postgres:// URL, got "${url}"`);
  }
  const db = openDatabase(databasePath);
  try {
    migrateUp(db);
    const report = await copyToPostgres(db, url);
    if (json) return void console.log(JSON.stringify(report));
    for (const [table, n] of Object.entries(report.rows)) console.log(`${green("✔")} ${table}: ${n} rows`);
    console.log(
      dim(
        `sums equal: ${Object.entries(report.sums)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      ),
    );
    console.log(`Copied. Point every node at it: DASH_DATABASE_URL=${url.replace(/:[^:@/]+@/, ":***@")}`);
  } finally {
    db.close();
  }
}

export default defineCommand({
  meta: { name: "migrate", description: "Apply database migrations, show their status, or roll back" },
  args: {
    status: { type: "boolean", description: "List every migration and whether it is applied" },
    rollback: {
      type: "string",
      valueHint: "version",
      description: "Undo applied migrations newer than <version> (0 = all)",
    },
    "copy-to": {
      type: "string",
      valueHint: "postgres://…",
      description: "Copy this SQLite database into an empty PostgreSQL one, checked by counts and sums",
    },
    json: { type: "boolean", description: "Print JSON for scripts" },
  },
  async run({ args }) {
    const config = loadConfig();
    if (args["copy-to"]) return copy(config.databasePath, args["copy-to"], Boolean(args.json));
    const migrator = openMigrator(config);
    try {
      if (args.status) {
        const states = await migrator.states();
        if (args.json) {
          const rows = states.map((s) => ({
            version: s.version,
            name: s.name,
            applied: s.appliedAt !== null,
            appliedAt: s.appliedAt === null ? null : new Date(s.appliedAt).toISOString(),
            intact: s.intact,
          }));
          console.log(JSON.stringify({ database: migrator.where, migrations: rows }, null, 2));
          return;
        }
        console.log(dim(`database: ${migrator.where}`));
        const rows = states.map((s) => [
          pad(s.version),
          s.name,
          !s.intact
            ? red("changed since applied")
            : s.appliedAt !== null
              ? green("applied")
              : yellow("pending"),
          s.appliedAt === null ? "-" : new Date(s.appliedAt).toISOString(),
        ]);
        console.log(table(["VERSION", "NAME", "STATE", "APPLIED AT"], rows));
        return;
      }
      if (args.rollback !== undefined) {
        const target = Number(args.rollback);
        if (!Number.isInteger(target) || target < 0) {
          throw new DashError(
            "VALIDATION_ERROR",
            `--rollback needs a version number ≥ 0, got "${args.rollback}"`,
          );
        }
        const undone = await migrator.rollback(target);
        if (args.json)
          return void console.log(JSON.stringify({ rolledBack: undone.map((m) => m.version), target }));
        if (undone.length === 0)
          return void console.log(`Nothing to roll back: the database is at or below version ${target}.`);
        for (const m of undone) console.log(`${yellow("↩")} rolled back ${pad(m.version)} ${m.name}`);
        return;
      }
      const applied = await migrator.up();
      const { version } = migrator;
      if (args.json)
        return void console.log(JSON.stringify({ applied: applied.map((m) => m.version), version }));
      for (const m of applied) console.log(`${green("✔")} applied ${pad(m.version)} ${m.name}`);
      console.log(
        applied.length
          ? `Database is at version ${version}.`
          : `Database is up to date (version ${version}).`,
      );
    } finally {
      await migrator.close();
    }
  },
});
