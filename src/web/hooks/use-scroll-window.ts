import { type RefObject, useEffect, useLayoutEffect, useRef, useState } from "react";
import { type RowWindow, rowWindow, scrollToRow } from "../../dashboard/model/virtual-rows.ts";

/**
 * The rows a scrolled container shows (virtualised: a 1,000-agent grid draws a few dozen rows),
 * following its scroll position and size; scrolls the row at `follow` into view when it changes.
 */
export function useScrollWindow(
  total: number,
  rowHeight: number,
  follow: number,
): { ref: RefObject<HTMLDivElement | null>; window: RowWindow } {
  const ref = useRef<HTMLDivElement | null>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    let frame = 0;
    const read = () => {
      frame = 0;
      setView({ top: element.scrollTop, height: element.clientHeight });
    };
    // One read per frame however fast the wheel turns.
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(read);
    };
    read();
    element.addEventListener("scroll", onScroll, { passive: true });
    const resized = new ResizeObserver(read);
    resized.observe(element);
    return () => {
      element.removeEventListener("scroll", onScroll);
      resized.disconnect();
      cancelAnimationFrame(frame);
    };
  }, []);
  useEffect(() => {
    const element = ref.current;
    if (!element || follow < 0) return;
    // The header row is sticky: it hides one row's height of the top.
    const top = scrollToRow(follow, element.scrollTop, element.clientHeight - rowHeight, rowHeight);
    if (top !== null) element.scrollTop = top;
  }, [follow, rowHeight]);
  return { ref, window: rowWindow(view.top, view.height, rowHeight, total) };
}
