import { useEffect, useState } from "react";
import type { DashClient } from "../../client/client.ts";
import { type ApiKey, allows } from "../../domain/api-key.ts";

export interface KeyInfo {
  key: ApiKey | null;
  /** Kill, pause, resume, scale, answer, merge: the key has "write" (or "admin") and no agent scope. */
  canAct: boolean;
}

/**
 * What the key logged in with may do (GET /api/keys/self), so the page offers only the actions the
 * server would allow. The server still checks every one: this only hides buttons.
 */
export function useKeyInfo(client: DashClient): KeyInfo {
  const [key, setKey] = useState<ApiKey | null>(null);
  useEffect(() => {
    let live = true;
    client.whoami().then(
      (k) => live && setKey(k),
      () => live && setKey(null),
    );
    return () => {
      live = false;
    };
  }, [client]);
  // The server's own rule (an admin key may write too), not a copy of it.
  const canAct = key !== null && key.scope === null && allows(key.permissions, "write");
  return { key, canAct };
}
