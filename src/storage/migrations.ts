import initialSchema from "../../migrations/001_initial_schema.sql" with { type: "text" };
import agentProcesses from "../../migrations/002_agent_processes.sql" with { type: "text" };
import agentKeys from "../../migrations/003_agent_keys.sql" with { type: "text" };
import swarmPlans from "../../migrations/004_swarm_plans.sql" with { type: "text" };
import sandboxApprovals from "../../migrations/005_sandbox_approvals.sql" with { type: "text" };
import mergeApprovals from "../../migrations/006_merge_approvals.sql" with { type: "text" };
import modelCalls from "../../migrations/007_model_calls.sql" with { type: "text" };
import nodes from "../../migrations/008_nodes.sql" with { type: "text" };
import notifications from "../../migrations/009_notifications.sql" with { type: "text" };
import approvalRules from "../../migrations/010_approval_rules.sql" with { type: "text" };
import unusedIndexes from "../../migrations/011_unused_indexes.sql" with { type: "text" };
import cheaperWrites from "../../migrations/012_cheaper_writes.sql" with { type: "text" };

/**
 * The migrations this build knows, embedded so the binary needs no `migrations/` folder beside it.
 * Adding a migration = adding its file and one line here (a test checks the two agree).
 */
export const EMBEDDED_MIGRATIONS: ReadonlyArray<{ file: string; text: string }> = [
  { file: "001_initial_schema.sql", text: initialSchema },
  { file: "002_agent_processes.sql", text: agentProcesses },
  { file: "003_agent_keys.sql", text: agentKeys },
  { file: "004_swarm_plans.sql", text: swarmPlans },
  { file: "005_sandbox_approvals.sql", text: sandboxApprovals },
  { file: "006_merge_approvals.sql", text: mergeApprovals },
  { file: "007_model_calls.sql", text: modelCalls },
  { file: "008_nodes.sql", text: nodes },
  { file: "009_notifications.sql", text: notifications },
  { file: "010_approval_rules.sql", text: approvalRules },
  { file: "011_unused_indexes.sql", text: unusedIndexes },
  { file: "012_cheaper_writes.sql", text: cheaperWrites },
];
