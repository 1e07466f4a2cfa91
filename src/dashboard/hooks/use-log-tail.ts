import { useEffect, useState } from "react";

export interface LogPage {
  lines: string[];
  offset: number;
  finished: boolean;
}
export type LogReader = (agentId: string, after?: number) => Promise<LogPage>;

const KEEP = 500;

/**
 * The live tail of an agent's output log: the last lines first, then only what was appended since
 * (by byte offset), every `everyMs` while `active`; it stops asking once the agent has finished.
 */
export function useLogTail(
  read: LogReader,
  agentId: string | null,
  active: boolean,
  everyMs = 1000,
): string[] {
  const [lines, setLines] = useState<string[]>([]);
  useEffect(() => {
    setLines([]);
    if (!agentId || !active) return;
    let offset: number | undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const page = await read(agentId, offset);
        if (stopped) return;
        offset = page.offset;
        if (page.lines.length > 0) setLines((old) => [...old, ...page.lines].slice(-KEEP));
        if (page.finished) return;
      } catch {
        // The server is away: the connection state says so; try again next time.
      }
      if (!stopped) timer = setTimeout(poll, everyMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [read, agentId, active, everyMs]);
  return lines;
}
