import type { ReactNode } from "react";
import { COLORS } from "../theme.ts";

export interface PanelProps {
  title: string;
  children: ReactNode;
  /** Share of the free room it takes (0: its own size only). */
  grow?: number;
  width?: number;
  height?: number;
}

/** A titled, rounded box around one part of the dashboard. */
export function Panel({ title, children, grow = 1, width, height }: PanelProps) {
  return (
    <box
      border
      borderStyle="rounded"
      borderColor={COLORS.border}
      title={` ${title} `}
      flexGrow={grow}
      flexShrink={0}
      width={width}
      height={height}
    >
      {children}
    </box>
  );
}
