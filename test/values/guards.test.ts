import { describe, expect, it } from 'vitest';
import { isOneOf, isRecord } from '../../src/values/guards.js';

describe('isRecord', () => {
  it.each([{}, { a: 1 }, Object.create(null) as object])('%j is a record', (value) => {
    expect(isRecord(value)).toBe(true);
  });

  it.each([null, undefined, [], [1, 2], 'text', 1, true, () => 1])('%j is not', (value) => {
    expect(isRecord(value)).toBe(false);
  });
});

describe('isOneOf', () => {
  const modes = ['off', 'full', 'proxy'] as const;

  it('accepts exactly the listed values and narrows to their union', () => {
    const value: unknown = 'proxy';
    expect(isOneOf(modes, value)).toBe(true);
    if (isOneOf(modes, value)) {
      const narrowed: (typeof modes)[number] = value;
      expect(narrowed).toBe('proxy');
    }
  });

  it.each(['PROXY', 'on', '', undefined, null, 0, ['off']])('refuses %j', (value) => {
    expect(isOneOf(modes, value)).toBe(false);
  });

  it('compares with ===, so NaN and objects by identity', () => {
    const item = { a: 1 };
    expect(isOneOf([item], item)).toBe(true);
    expect(isOneOf([item], { a: 1 })).toBe(false);
    expect(isOneOf([1, 2], 2)).toBe(true);
  });
});
