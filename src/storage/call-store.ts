import type { AgentRecord } from "../domain/agent.ts";
import type { BudgetRecord } from "../domain/budget.ts";
import type { NewEvent } from "../domain/event.ts";
import type { CallEnd, ModelCallRecord, ModelSpend, NewModelCall } from "../domain/model-call.ts";
import type { ChainBudget } from "../safety/budget.ts";
import type { AgentPatch, BudgetPatch, MeterResult } from "./store.ts";

/**
 * What the gateway needs from a database (part of Store): a call is admitted in ONE transaction
 * with the agent and its budget chain (what every open call and live agent holds included), and
 * settled in one transaction that closes the call and adds its cost to the agent and the chain.
 */
export interface CallStore {
  /**
   * Reads the agent and its chain, lets `decide` admit, refuse or wait (null: write nothing) and
   * writes the call row, the agent's change and the events. Null when `decide` said wait.
   */
  admitCall(
    call: NewModelCall,
    decide: (agent: AgentRecord, chain: ChainBudget[]) => CallAdmission | null,
  ): Promise<CallAdmitted | null>;
  /** Closes an open call as `decide` says, with the spend on its agent and budgets (the chain's held sums are not read). */
  settleCall(
    id: string,
    decide: (call: ModelCallRecord, agent: AgentRecord, chain: ChainBudget[]) => CallSettlement,
  ): Promise<CallSettled>;
  getCall(id: string): Promise<ModelCallRecord | null>;
  /** Newest first. */
  listCalls(query: {
    agentId?: string;
    swarmId?: string;
    beforeId?: string;
    limit?: number;
  }): Promise<ModelCallRecord[]>;
  /** Calls still open when the server that made them died: closed as lost, their hold released. */
  loseOpenCalls(now: number): Promise<ModelCallRecord[]>;
  /** Calls, tokens and cost per model, for one swarm or all. */
  modelSpend(query?: { swarmId?: string }): Promise<ModelSpend[]>;
}

export interface CallAdmission {
  call: Pick<ModelCallRecord, "status" | "maxTokens" | "reservedUnits" | "error" | "httpStatus">;
  agent?: AgentPatch;
  events: NewEvent[];
}

export interface CallAdmitted extends MeterResult {
  call: ModelCallRecord;
}

export interface CallSettlement {
  call: CallEnd;
  agent: AgentPatch;
  budgets: { budget: BudgetRecord; patch: BudgetPatch }[];
  events: NewEvent[];
}

export interface CallSettled extends MeterResult {
  call: ModelCallRecord;
}
