import { toAgentResponse } from "../domain/agent.ts";
import type { AgentQuery, AgentVersion, Store } from "../storage/store.ts";
import { cutPage } from "./schemas.ts";

/** Serialised agents kept; a full page is 1,000, so two full pages stay warm (~0.6 KB each). */
const MAX_ROWS = 2_048;
/** Whole pages kept (a dashboard's few queries); each is at most a 1,000-agent body. */
const MAX_PAGES = 8;

/**
 * GET /api/agents as text: each agent is serialised once per row version and a page is the
 * concatenation of its rows. Reading every column of a page and mapping it (dates, money, JSON)
 * costs several times what reading its ids and versions does, and a list is read far more often
 * than its rows change. The version is the row's own (every write raises it, on any node of a
 * shared PostgreSQL too), so a reused row is never stale; only rows whose version moved are read.
 * A page whose ids and versions are all as they were is the very same body again, and where the
 * store can tell that nothing at all was written since (SQLite's change mark), it is not even read.
 */
export class AgentPages {
  private readonly rows = new Map<string, { version: number; json: string }>();
  /** The last body of each query with the ids and versions it was made of (most recent last). */
  private readonly pages = new Map<string, { listed: AgentVersion[]; body: Blob; mark?: string }>();

  constructor(
    private readonly max = MAX_ROWS,
    private readonly maxPages = MAX_PAGES,
  ) {}

  /**
   * The page's JSON body, `{"agents":[…],"nextCursor":…}` (the AgentPageSchema shape), as a Blob:
   * encoded once, a reused page goes out without being copied or encoded again.
   */
  async page(store: Store, query: AgentQuery & { limit: number }): Promise<Blob> {
    const key = JSON.stringify(query);
    const last = this.pages.get(key);
    // Taken before reading, so a write in between leaves a page that is checked again next time.
    const mark = store.changeMark?.();
    if (last && mark !== undefined && last.mark === mark) return last.body;
    const listed = await store.listAgentVersions({ ...query, limit: query.limit + 1 });
    // Nothing on the page moved since it was made: the same text (no copy, no re-encoding).
    if (last && sameVersions(last.listed, listed)) {
      last.mark = mark;
      return last.body;
    }
    const { items: page, nextCursor } = cutPage(listed, query.limit);
    // Taken out first: making room for the rows read below must not drop one this page needs.
    const texts = new Map<string, string>();
    for (const v of page) {
      const cached = this.rows.get(v.id);
      if (cached?.version === v.version) texts.set(v.id, cached.json);
    }
    const stale = page.filter((v) => !texts.has(v.id)).map((v) => v.id);
    const listedVersion = new Map(page.map((v) => [v.id, v.version]));
    let exact = true;
    for (const agent of await store.getAgents(stale)) {
      const json = JSON.stringify(toAgentResponse(agent));
      texts.set(agent.id, json);
      remember(this.rows, agent.id, { version: agent.version, json }, this.max);
      // Written meanwhile: shown as read, but the page is not kept under the listed versions.
      if (agent.version !== listedVersion.get(agent.id)) exact = false;
    }
    const parts = page.flatMap((v) => texts.get(v.id) ?? []);
    const body = new Blob([`{"agents":[${parts.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`], {
      type: "application/json;charset=utf-8",
    });
    if (exact && parts.length === page.length)
      remember(this.pages, key, { listed, body, mark }, this.maxPages);
    return body;
  }
}

function sameVersions(a: readonly AgentVersion[], b: readonly AgentVersion[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as AgentVersion;
    const y = b[i] as AgentVersion;
    if (x.id !== y.id || x.version !== y.version) return false;
  }
  return true;
}

/** Most recently written last; past the bound the oldest entries go first. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}

const byStore = new WeakMap<Store, AgentPages>();

/** The pages of one store (a test's server has its own store, so its own rows). */
export function agentPagesOf(store: Store): AgentPages {
  let pages = byStore.get(store);
  if (!pages) {
    pages = new AgentPages();
    byStore.set(store, pages);
  }
  return pages;
}
