import { COLORS } from "../theme.ts";

export interface ConfirmDialogProps {
  question: string;
}

/** A one-question dialog: y (or Enter) confirms, any other key cancels. */
export function ConfirmDialog({ question }: ConfirmDialogProps) {
  return (
    <box
      position="absolute"
      top={4}
      left={4}
      width={Math.max(40, Math.min(76, question.length + 4))}
      height={4}
      border
      borderStyle="rounded"
      borderColor={COLORS.error}
      backgroundColor="#1f1111"
      title=" Confirm "
      flexDirection="column"
      zIndex={20}
    >
      <text fg={COLORS.text}>{question}</text>
      <text fg={COLORS.dim}>y / Enter: yes · any other key: no</text>
    </box>
  );
}
