import type { ApiKeyRecord, KeyScope, Permission } from "../domain/api-key.ts";
import type { BudgetAction, BudgetEntity, BudgetRecord, Currency, Forecast } from "../domain/budget.ts";
import { json, num, numOrNull, type Row, str, toJson } from "./sqlite-rows.ts";
import type { NewBudget } from "./store.ts";

/** Budget and API key rows ↔ records (see sqlite-rows.ts for agents, swarms and events). */

export function budgetFromRow(r: Row): BudgetRecord {
  return {
    id: str(r.id),
    entityType: r.entity_type as BudgetEntity,
    entityId: str(r.entity_id),
    parentBudgetId: r.parent_budget_id === null ? null : str(r.parent_budget_id),
    allocatedUnits: num(r.amount_allocated),
    spentUnits: num(r.amount_spent),
    currency: r.currency as Currency,
    warningThreshold: num(r.warning_threshold),
    criticalThreshold: num(r.critical_threshold),
    hardStopThreshold: num(r.hard_stop_threshold),
    warningAction: r.warning_action as BudgetAction,
    criticalAction: r.critical_action as BudgetAction,
    hardStopAction: r.hard_stop_action as BudgetAction,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    lastAlertAt: numOrNull(r.last_alert_at),
    burnRate: numOrNull(r.burn_rate),
    projectedFinalUnits: numOrNull(r.projected_final),
    stepUnits: numOrNull(r.step_units),
    alertLevel: num(r.alert_level),
    projectedAction: r.projected_action as BudgetAction,
    forecast: json(r.forecast) as Forecast | null,
    version: num(r.version),
  };
}

export function apiKeyFromRow(r: Row): ApiKeyRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    keyHash: str(r.key_hash),
    permissions: json(r.permissions) as Permission[],
    createdAt: num(r.created_at),
    lastUsedAt: numOrNull(r.last_used_at),
    expiresAt: numOrNull(r.expires_at),
    isActive: r.is_active === 1,
    scope: r.scope === null || r.scope === undefined ? null : (json(r.scope) as KeyScope),
  };
}

export const BUDGET_COLUMNS: Record<string, [string, ((v: unknown) => unknown)?]> = {
  allocatedUnits: ["amount_allocated"],
  warningThreshold: ["warning_threshold"],
  criticalThreshold: ["critical_threshold"],
  hardStopThreshold: ["hard_stop_threshold"],
  warningAction: ["warning_action"],
  criticalAction: ["critical_action"],
  hardStopAction: ["hard_stop_action"],
  lastAlertAt: ["last_alert_at"],
  burnRate: ["burn_rate"],
  projectedFinalUnits: ["projected_final"],
  alertLevel: ["alert_level"],
  spentUnits: ["amount_spent"],
  forecast: ["forecast", toJson],
};

export function budgetToRow(b: NewBudget): Row {
  return {
    id: b.id,
    entity_type: b.entityType,
    entity_id: b.entityId,
    parent_budget_id: b.parentBudgetId,
    amount_allocated: b.allocatedUnits,
    currency: b.currency,
    warning_threshold: b.warningThreshold,
    critical_threshold: b.criticalThreshold,
    hard_stop_threshold: b.hardStopThreshold,
    warning_action: b.warningAction,
    critical_action: b.criticalAction,
    hard_stop_action: b.hardStopAction,
    step_units: b.stepUnits,
    projected_action: b.projectedAction,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

export function apiKeyToRow(k: ApiKeyRecord): Row {
  return {
    id: k.id,
    name: k.name,
    key_hash: k.keyHash,
    permissions: JSON.stringify(k.permissions),
    created_at: k.createdAt,
    last_used_at: k.lastUsedAt,
    expires_at: k.expiresAt,
    is_active: k.isActive ? 1 : 0,
    scope: k.scope === null ? null : JSON.stringify(k.scope),
  };
}
