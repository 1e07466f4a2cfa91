import { DashClient } from "../client/client.ts";
import { DashboardFeed } from "../dashboard/model/feed.ts";
import { DashboardStore } from "../dashboard/model/store.ts";

/** The key lives in this tab's sessionStorage only: never in a URL, gone when the tab closes. */
const KEY_ITEM = "dash.apiKey";

export const savedKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const saveKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

/**
 * The terminal dashboard's feed and store, on this page's origin: a REST snapshot, then WS /events
 * with the key as the `dash.v1` subprotocol token, resuming after the last event id on a drop.
 */
export function openFeed(key: string): DashboardFeed {
  const connection = { url: location.origin, key, keySource: "the login form" };
  // Bound to window (a bare `fetch` called as a method throws); no waiting out 429s in a page.
  const client = new DashClient(connection, ((input, init) => fetch(input, init)) as typeof fetch, 0);
  // Budgets at most every 2 s (and the log tail every 2 s): a page stays far under the default
  // 100 requests a minute per key, however fast events arrive.
  return new DashboardFeed(client, new DashboardStore(), { reconnectMs: 1000, budgetEveryMs: 2000 });
}
