import { HELP } from "../keybindings.ts";
import { COLORS } from "../theme.ts";

/** `?`: every key, over the dashboard. */
export function HelpOverlay() {
  return (
    <box
      position="absolute"
      top={2}
      left={2}
      width={52}
      height={HELP.length + 3}
      border
      borderStyle="rounded"
      borderColor={COLORS.accent}
      backgroundColor="#111827"
      title=" Keys (? or Esc closes) "
      flexDirection="column"
      zIndex={10}
    >
      {HELP.map(([key, what]) => (
        <text key={key}>
          <span fg={COLORS.accent}>{key.padEnd(12)}</span>
          <span fg={COLORS.text}>{what}</span>
        </text>
      ))}
    </box>
  );
}
