// metav1.Condition bookkeeping: lastTransitionTime moves only when status flips, every
// condition carries the generation it was computed for, and the list stays in a fixed order
// so an unchanged status compares equal and is not rewritten.
import { CONDITION_TYPES, type Condition, type ConditionType, type LiveStreamStatus } from '../api/livestream.ts';

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

export function setCondition(conditions: readonly Condition[], input: ConditionInput, generation: number, now: Date): Condition[] {
  const previous = conditions.find((c) => c.type === input.type);
  const next: Condition = {
    ...input,
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : rfc3339(now),
    observedGeneration: generation,
  };
  const rest = conditions.filter((c) => c.type !== input.type);
  return sortConditions([...rest, next]);
}

export function getCondition(status: LiveStreamStatus | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function isTrue(status: LiveStreamStatus | undefined, type: ConditionType): boolean {
  return getCondition(status, type)?.status === 'True';
}

function sortConditions(conditions: Condition[]): Condition[] {
  const rank = (t: string) => {
    const i = (CONDITION_TYPES as readonly string[]).indexOf(t);
    return i === -1 ? CONDITION_TYPES.length : i;
  };
  return conditions.sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

/** Structural equality of two statuses, ignoring key order. */
export function sameStatus(a: LiveStreamStatus | undefined, b: LiveStreamStatus | undefined): boolean {
  return canonical(a ?? {}) === canonical(b ?? {});
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
