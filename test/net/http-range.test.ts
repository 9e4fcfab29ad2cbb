import { describe, expect, it } from 'vitest';
import { chooseRange } from '../../src/net/http-range.js';

describe('chooseRange (RFC 9110 §14)', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-99', 100, { kind: 'full' }],
    ['bytes=0-', 100, { kind: 'full' }],
    ['bytes=10-19', 100, { kind: 'partial', start: 10, end: 19 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'full' }],
    ['Bytes = 5 - 6', 100, { kind: 'partial', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    // ignored (§14.2): other units, several ranges, bad syntax, last < first
    ['items=0-5', 100, { kind: 'full' }],
    ['bytes=0-5,10-20', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=20-10', 100, { kind: 'full' }],
  ])('%j of %i bytes', (header, length, expected) => {
    expect(chooseRange(header, length)).toEqual(expected);
  });
});
