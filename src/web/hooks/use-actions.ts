import { useCallback, useState } from "react";
import type { DashboardFeed } from "../../dashboard/model/feed.ts";

/** An action waiting for the operator's yes: what the dialog asks, and what yes does. */
export interface Ask {
  title: string;
  body: string;
  confirm: string;
  /** Kill, destroy, deny: shown in the danger color. */
  danger: boolean;
  run: () => Promise<string | null>;
}

export interface Actions {
  asking: Ask | null;
  /** Asks first (a dialog), then runs. */
  ask: (ask: Ask) => void;
  /** Runs at once (pause, resume: undone by the other). */
  now: (run: () => Promise<string | null>) => void;
  answer: (yes: boolean) => void;
}

/**
 * Runs the page's actions through the feed's client: what each did, or why the server refused it
 * (403 for a key that may not, 409 for an agent that has finished), becomes the notice line.
 */
export function useActions(feed: DashboardFeed): Actions {
  const [asking, setAsking] = useState<Ask | null>(null);
  const now = useCallback(
    (run: () => Promise<string | null>) => {
      run().then(
        (done) => done !== null && feed.store.setNotice(done),
        (error: Error) => feed.store.setNotice(`refused: ${error.message}`),
      );
    },
    [feed],
  );
  const answer = useCallback(
    (yes: boolean) => {
      setAsking(null);
      if (yes && asking) now(asking.run);
    },
    [asking, now],
  );
  return { asking, ask: setAsking, now, answer };
}
