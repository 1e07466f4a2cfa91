import initialSchema from "../../migrations/postgres/001_initial_schema.sql" with { type: "text" };
import agentProcesses from "../../migrations/postgres/002_agent_processes.sql" with { type: "text" };
import agentKeys from "../../migrations/postgres/003_agent_keys.sql" with { type: "text" };
import swarmPlans from "../../migrations/postgres/004_swarm_plans.sql" with { type: "text" };
import sandboxApprovals from "../../migrations/postgres/005_sandbox_approvals.sql" with { type: "text" };
import mergeApprovals from "../../migrations/postgres/006_merge_approvals.sql" with { type: "text" };
import modelCalls from "../../migrations/postgres/007_model_calls.sql" with { type: "text" };
import nodes from "../../migrations/postgres/008_nodes.sql" with { type: "text" };
import notifications from "../../migrations/postgres/009_notifications.sql" with { type: "text" };
import approvalRules from "../../migrations/postgres/010_approval_rules.sql" with { type: "text" };
import unusedIndexes from "../../migrations/postgres/011_unused_indexes.sql" with { type: "text" };
import cheaperWrites from "../../migrations/postgres/012_cheaper_writes.sql" with { type: "text" };

/**
 * The PostgreSQL dialect of migrations.ts: the same versions and names, written for PostgreSQL,
 * embedded so the binary needs no folder beside it. A test checks these agree with
 * migrations/postgres/ and with the SQLite list.
 */
export const EMBEDDED_PG_MIGRATIONS: ReadonlyArray<{ file: string; text: string }> = [
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
