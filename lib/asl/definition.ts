/**
 * The one Amazon States Language definition type of the project, shared by the CDK side
 * (resolving synthesized definitions, asserting over them) and the local engine.
 * Only the fields this project reads are typed; the rest pass through untouched.
 */

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Seconds?: number;
  SecondsPath?: string;
  TimeoutSeconds?: number;
  Retry?: unknown[];
  Branches?: AslDefinition[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
  QueryLanguage?: string;
  [field: string]: unknown;
}

/**
 * Every state of a definition by name, in document order, nested states included:
 * Parallel branches and Map iterators (`ItemProcessor`, or the older `Iterator`).
 */
export function allStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const inner = state.ItemProcessor ?? state.Iterator;
    return [
      [name, state] as [string, AslState],
      ...(state.Branches ?? []).flatMap(allStates),
      ...(inner ? allStates(inner) : []),
    ];
  });
}
