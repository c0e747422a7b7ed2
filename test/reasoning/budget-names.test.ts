/**
 * Budgets are written like strategy settings: snake_case at the user surface (a serve request's
 * `budget`, `solve({ budget })` from JavaScript), camelCase accepted, both at once refused, and
 * errors name the snake_case field.
 */
import { describe, expect, it } from 'vitest';
import { budgetFieldName, parseBudget } from '../../src/reasoning/budget.js';

describe('parseBudget', () => {
  it('reads snake_case and camelCase fields into the same budget', () => {
    const snake = parseBudget({ tokens: 100, completion_tokens: 50, calls: 3, eval_calls: 4, wall_ms: 2000, expansions: 7 });
    const camel = parseBudget({ tokens: 100, completionTokens: 50, calls: 3, evalCalls: 4, wallMs: 2000, expansions: 7 });
    expect(snake).toEqual(camel);
    expect(snake).toEqual({ tokens: 100, completionTokens: 50, calls: 3, evalCalls: 4, wallMs: 2000, expansions: 7 });
    expect(parseBudget(undefined)).toEqual({});
    expect(parseBudget(null)).toEqual({});
  });

  it('refuses one field in both spellings, unknown fields, bad values and non-objects, naming the snake_case field', () => {
    expect(() => parseBudget({ wall_ms: 10, wallMs: 20 })).toThrow(/budget field wall_ms is given twice \(as wall_ms and as wallMs\)/);
    expect(() => parseBudget({ wall_ms: -1 })).toThrow(/invalid budget: wall_ms:/);
    expect(() => parseBudget({ evalCalls: 1.5 })).toThrow(/invalid budget: eval_calls:/);
    expect(() => parseBudget({ wall_seconds: 3 })).toThrow(/wall_seconds/);
    expect(() => parseBudget([1, 2])).toThrow(/budget must be an object/);
    expect(() => parseBudget('fast')).toThrow(/budget must be an object/);
    try {
      parseBudget({ nodes: 3 });
      expect.unreachable();
    } catch (e) {
      expect(String((e as { hint?: string }).hint)).toMatch(/tokens, completion_tokens, calls, eval_calls, wall_ms, expansions/);
    }
  });

  it('names fields as users write them', () => {
    expect(budgetFieldName('wallMs')).toBe('wall_ms');
    expect(budgetFieldName('completionTokens')).toBe('completion_tokens');
    expect(budgetFieldName('tokens')).toBe('tokens');
  });
});
