/**
 * An example Dash runtime plugin: "word-count", an agent that counts the words of its task (and
 * input). It needs nothing but a POSIX `sh`, and shows the whole interface:
 *
 * - `command(context)` turns an agent's run into an argv (an array: no shell ever parses the task;
 *   here the task is an argument of `sh -c`, `$1`, data and never code). It runs in the agent's
 *   workspace, under the shim and the file sandbox, with DASH_AGENT_ID, DASH_URL, … like any agent.
 * - `parse(line)` turns one line of its output into reports (progress, usage, result, session,
 *   error); other lines are the agent's log. Without `parse`, lines follow the standard
 *   `{"dash":"progress",…}` protocol.
 *
 * To use it: copy this file to ~/.dash/plugins/word-count.ts, list it in ~/.dash/config.yaml
 *
 *     plugins: [plugins/word-count.ts]
 *
 * restart `dash serve`, and create a swarm with `config.runtime: word-count`
 * (`dash swarm create words --task "count these words" --runtime word-count`).
 */

// Type-only, so erased when Dash loads the file: delete it (and `satisfies …`) outside this repo.
import type { RuntimePlugin } from "../../src/plugins/schema.ts";

/** Each word is logged, then reported as a step; `set -f`: a `*` in a task is a word, not a glob. */
const SCRIPT = `set -f
total=$(printf '%s\\n' "$1" | wc -w | tr -d ' ')
echo "counting $total words"
i=0
for word in $1; do
  i=$((i + 1))
  printf 'word %s: %s\\n' "$i" "$word"
  printf '@wc progress %s %s\\n' "$i" "$total"
  sleep "$3"
done
printf '@wc usage %s %s\\n' "$total" "$2"
printf '@wc result %s\\n' "$total"`;

/** A pretend price: one dollar per million words counted. */
const USD_PER_WORD = 1e-6;

export default {
  kind: "runtime",
  name: "word-count",
  description: "counts the words of its task: an example plugin (examples/plugins/word-count.ts)",
  command: ({ task, input, model }) => [
    "sh",
    "-c",
    SCRIPT,
    "word-count", // $0
    input ? `${task}\n${input}` : task, // $1
    model, // $2
    "0.05", // $3: seconds per word, so progress shows live
  ],
  parse(line) {
    const [tag, what, first = "", second = ""] = line.trim().split(/\s+/);
    if (tag !== "@wc") return [];
    const n = Number(first);
    switch (what) {
      case "progress":
        return [{ kind: "progress", current: n, total: Number(second) }];
      case "usage":
        return [
          {
            kind: "usage",
            usage: {
              model: second || undefined,
              promptTokens: n,
              completionTokens: 1,
              costUsd: n * USD_PER_WORD,
            },
          },
        ];
      case "result":
        return [{ kind: "result", value: { words: n } }];
      default:
        return [];
    }
  },
} satisfies RuntimePlugin;
