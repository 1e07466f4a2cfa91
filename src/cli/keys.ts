import { defineCommand } from "citty";
import { PermissionSchema } from "../domain/api-key.ts";
import { age, clientArgs, clientFor, numberArg, output, UsageError } from "./common.ts";
import { bold, dim, green, red, table, yellow } from "./style.ts";

const create = defineCommand({
  meta: { name: "create", description: "Create an API key (shown once)" },
  args: {
    name: { type: "positional", required: true, description: "A name for the key (who or what uses it)" },
    permissions: { type: "string", description: "Comma list of read, write, admin (default read)" },
    "expires-in-days": { type: "string", description: "Expire after this many days (default never)" },
    ...clientArgs,
  },
  async run({ args }) {
    const permissions = (args.permissions ?? "read").split(",").map((p) => p.trim());
    const bad = permissions.filter((p) => !PermissionSchema.safeParse(p).success);
    if (bad.length) throw new UsageError(`unknown permission "${bad.join(", ")}": use read, write or admin`);
    const created = await clientFor(args).createKey({
      name: args.name,
      permissions: permissions as never,
      expiresInDays: numberArg("--expires-in-days", args["expires-in-days"], { min: 0 }),
    });
    output(args, created, () =>
      [
        `${green("✓")} Created key ${bold(created.name)} ${dim(created.id)} (${created.permissions.join(", ")})`,
        `  ${yellow(created.key)}`,
        dim("Store it now: it is shown only once."),
      ].join("\n"),
    );
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List API keys (never the keys themselves)" },
  args: { ...clientArgs },
  async run({ args }) {
    const { keys } = await clientFor(args).listKeys();
    output(args, { keys }, () =>
      table(
        ["ID", "NAME", "PERMISSIONS", "STATE", "LAST USED", "EXPIRES", "AGE"],
        keys.map((k) => [
          k.id,
          k.name,
          k.permissions.join(","),
          k.active
            ? k.expiresAt && Date.parse(k.expiresAt) <= Date.now()
              ? yellow("expired")
              : green("active")
            : red("revoked"),
          k.lastUsedAt ? `${age(k.lastUsedAt)} ago` : "never",
          k.expiresAt ? k.expiresAt.slice(0, 10) : "never",
          age(k.createdAt),
        ]),
      ),
    );
  },
});

const revoke = defineCommand({
  meta: { name: "revoke", description: "Revoke an API key" },
  args: { id: { type: "positional", required: true, description: "Key id" }, ...clientArgs },
  async run({ args }) {
    const key = await clientFor(args).revokeKey(args.id);
    output(args, key, () => `${green("✓")} Revoked key ${bold(key.name)} ${dim(key.id)}`);
  },
});

export default defineCommand({
  meta: { name: "keys", description: "Create, list and revoke API keys (admin)" },
  subCommands: { create, list, revoke },
});
