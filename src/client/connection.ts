import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { dashHome } from "../config.ts";

export const DEFAULT_URL = "http://127.0.0.1:7373";

export interface Connection {
  url: string;
  key: string | null;
  /** Where the key came from, to name it in error messages. */
  keySource: string;
}

const CredentialsSchema = z.object({ url: z.string().optional(), key: z.string().optional() });

/** `$DASH_HOME/credentials`, written by the first `dash serve` (mode 0600). Unreadable = absent. */
function readCredentials(home: string): z.infer<typeof CredentialsSchema> {
  const path = join(home, "credentials");
  if (!existsSync(path)) return {};
  try {
    return CredentialsSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return {};
  }
}

/**
 * Where to reach Dash and with which key: flags first, then DASH_URL / DASH_API_KEY, then the
 * agent's own DASH_AGENT_TOKEN, then the local credentials file, then the default local server. The credentials key is used only for
 * the server it was made for, so `--url` to another host never leaks the local admin key.
 */
export function resolveConnection(
  flags: { url?: string; key?: string },
  env: Record<string, string | undefined> = process.env,
): Connection {
  const credentials = readCredentials(dashHome(env));
  const url = (flags.url || env.DASH_URL || credentials.url || DEFAULT_URL).replace(/\/+$/, "");
  if (flags.key) return { url, key: flags.key, keySource: "--key" };
  if (env.DASH_API_KEY) return { url, key: env.DASH_API_KEY, keySource: "DASH_API_KEY" };
  // Inside an agent: its own key, even where the credentials file is readable (fileSandbox: false).
  if (env.DASH_AGENT_TOKEN) return { url, key: env.DASH_AGENT_TOKEN, keySource: "DASH_AGENT_TOKEN" };
  const sameServer = !credentials.url || credentials.url.replace(/\/+$/, "") === url;
  if (credentials.key && sameServer) {
    return { url, key: credentials.key, keySource: `${join(dashHome(env), "credentials")}` };
  }
  return { url, key: null, keySource: "none" };
}
