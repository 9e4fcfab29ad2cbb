import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '../../src/values/brand.js';
import {
  HOST_LABEL_EXPECTED,
  HOSTNAME_EXPECTED,
  isHostname,
  parseHostLabel,
  parseHostname,
} from '../../src/values/hostname.js';

const label63 = `a${'b'.repeat(61)}c`;
const name253 = [label63, label63, label63, 'd'.repeat(61)].join('.');

function expectedOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidValueError) return error.expected;
    throw error;
  }
  return expect.fail('expected the name to be refused');
}

describe('parseHostname', () => {
  it.each([
    ['node01', 'node01'],
    ['Node01', 'node01'],
    ['LAB.Example.ORG', 'lab.example.org'],
    ['a', 'a'],
    ['0', '0'],
    ['1234', '1234'],
    ['3com.example', '3com.example'],
    ['rack-1.dc-2.example', 'rack-1.dc-2.example'],
    ['x--y', 'x--y'],
    [label63, label63],
    [name253, name253],
  ])('%s is %s', (input, canonical) => {
    expect(parseHostname(input)).toBe(canonical);
    expect(isHostname(input)).toBe(true);
  });

  const LONG_LABEL = /labels have at most 63 characters/;
  it.each([
    ['', HOSTNAME_EXPECTED],
    ['.', HOSTNAME_EXPECTED],
    ['node01.', HOSTNAME_EXPECTED],
    ['.node01', HOSTNAME_EXPECTED],
    ['a..b', HOSTNAME_EXPECTED],
    ['-node', HOSTNAME_EXPECTED],
    ['node-', HOSTNAME_EXPECTED],
    ['lab.-x.example', HOSTNAME_EXPECTED],
    ['bad_name', HOSTNAME_EXPECTED],
    ['node 01', HOSTNAME_EXPECTED],
    [' node01', HOSTNAME_EXPECTED],
    ['node01\n', HOSTNAME_EXPECTED],
    ['nöde', HOSTNAME_EXPECTED],
    ['node*', HOSTNAME_EXPECTED],
    ['x'.repeat(64), LONG_LABEL],
    [`${'x'.repeat(64)}.example`, LONG_LABEL],
    [`${name253}e`, /at most 253 characters/],
    ['10.0.0.5', /not an address/],
    ['node.42', /not an address/],
  ])('%j is refused: %s', (input, expected) => {
    const said = expectedOf(() => parseHostname(input));
    if (typeof expected === 'string') expect(said).toBe(expected);
    else expect(said).toMatch(expected);
    expect(isHostname(input)).toBe(false);
  });
});

describe('parseHostLabel', () => {
  it.each([
    ['node01', 'node01'],
    ['NODE-01', 'node-01'],
    [label63, label63],
  ])('%s is %s', (input, canonical) => {
    expect(parseHostLabel(input)).toBe(canonical);
  });

  it.each(['', 'node01.lab', '-a', 'a-', 'a_b', 'x'.repeat(64), ' a'])('%j is refused', (input) => {
    expect(expectedOf(() => parseHostLabel(input))).toBe(HOST_LABEL_EXPECTED);
  });
});
