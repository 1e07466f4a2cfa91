import type { KeyEvent, KeyHandler } from "@opentui/core";

/**
 * Keeps the keys typed before the dashboard listens, and replays them once it does. OpenTUI's
 * useKeyboard subscribes in an effect, which runs after the first frame is on screen: a key
 * pressed as the grid appeared went to no listener and was lost (4 launches in 12 in tmux, a key
 * sent the moment the grid filled). Returns the release, to call once the App's handler is
 * subscribed; releasing twice does nothing.
 */
export function holdEarlyKeys(keys: KeyHandler): () => void {
  const held: KeyEvent[] = [];
  const hold = (key: KeyEvent) => held.push(key);
  keys.on("keypress", hold);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    keys.off("keypress", hold);
    for (const key of held.splice(0)) keys.emit("keypress", key);
  };
}
