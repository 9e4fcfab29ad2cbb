import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/config/suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['blocksize', 'blocksize', 0],
    ['blksize', 'blocksize', 2],
    ['tfpt', 'tftp', 1], // a swap of neighbours counts once
    ['kitten', 'sitting', 3],
    ['level', 'Level', 1],
  ])('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('suggest', () => {
  const tftp = [
    'enabled',
    'listen',
    'roots',
    'blocksize',
    'windowsize',
    'timeout',
    'retries',
    'maxTransfers',
    'maxPerClient',
  ];

  it.each([
    ['blksize', 'blocksize'],
    ['block_size', 'blocksize'],
    ['BlockSize', 'blocksize'],
    ['max_transfers', 'maxTransfers'],
    ['retry', 'retries'],
    ['root', 'roots'],
    ['timeut', 'timeout'],
    ['window', 'windowsize'],
  ])('%s → %s', (input, expected) => {
    expect(suggest(input, tftp)).toBe(expected);
  });

  it.each(['log', 'x', 'max', 'colour', ''])('%j finds nothing close', (input) => {
    expect(suggest(input, tftp)).toBeUndefined();
  });

  it('finds nothing among no candidates', () => {
    expect(suggest('a', [])).toBeUndefined();
  });
});
