import type { SinkRecord } from "../domain/notification.ts";
import { bodyOf } from "./payload.ts";
import { signature } from "./sign.ts";
import type { Notification } from "./sink-plugin.ts";

/** A webhook that answered outside 2xx: worth retrying later, with what it said. */
export class DeliveryError extends Error {}

/**
 * POSTs one notification. Headers: `Dash-Event-Id` (the same on every attempt: the receiver's
 * de-duplication key), `Dash-Event-Type`, `Dash-Delivery-Attempt`, and `Dash-Signature` when the
 * sink has a secret (sign.ts). Resolves on 2xx; throws otherwise (a timeout aborts the request).
 */
export async function postWebhook(
  sink: SinkRecord,
  n: Notification,
  options: { signal: AbortSignal; now?: number },
): Promise<void> {
  const body = bodyOf(n, sink.format);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "dash-notifications",
    "dash-event-id": n.id,
    "dash-event-type": n.type,
    "dash-delivery-attempt": String(n.attempt),
  };
  if (sink.secret) headers["dash-signature"] = signature(sink.secret, body, options.now ?? Date.now());
  const response = await fetch(sink.url as string, { method: "POST", headers, body, signal: options.signal });
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  let said = "";
  try {
    said = (await response.text()).slice(0, 200);
  } catch {
    // A body cut off mid-way: the status says enough.
  }
  throw new DeliveryError(`HTTP ${response.status}${said ? `: ${said}` : ""}`);
}
