import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../src/lab/line-buffer.js';

describe('LineBuffer', () => {
  it('joins chunks into lines and holds back a partial line', () => {
    const buffer = new LineBuffer();
    buffer.append('one\ntw');
    buffer.append('o\n\nthr');
    expect(buffer.lines()).toEqual(['one', 'two', '']);
    expect(buffer.lineCount).toBe(3);
    expect(buffer.line(1)).toBe('two');
    expect(buffer.line(3)).toBeUndefined();
    expect(buffer.text()).toBe('one\ntwo\n\nthr');
  });

  it('drops the oldest lines past the cap, keeping their indices', () => {
    const buffer = new LineBuffer(20, 10);
    for (let i = 0; i < 10; i += 1) buffer.append(`line${i}\n`); // 6 characters each
    expect(buffer.lineCount).toBe(10);
    // The cap is applied before each append: at most 20 characters held, plus the chunk just added.
    expect(buffer.lines()).toEqual(['line6', 'line7', 'line8', 'line9']);
    expect(buffer.firstHeld).toBe(6);
    expect(buffer.line(5)).toBeUndefined();
    expect(buffer.line(6)).toBe('line6');
    expect(buffer.text()).toBe('[output truncated: 6 earlier lines dropped]\nline6\nline7\nline8\nline9\n');
  });

  it('splits a line longer than the line limit, also one that arrives in pieces', () => {
    const buffer = new LineBuffer(1_000, 4);
    buffer.append('abcdefghij\n');
    buffer.append('kl');
    buffer.append('mnop');
    expect(buffer.lines()).toEqual(['abcd', 'efgh', 'ij', 'klmn']);
    expect(buffer.text()).toBe('abcd\nefgh\nij\nklmn\nop');
  });

  it('stays within the cap over a long run of small chunks', () => {
    const buffer = new LineBuffer(1_000, 100);
    for (let i = 0; i < 100_000; i += 1) buffer.append(i % 3 === 0 ? `${i}\n` : `${i}`);
    expect(buffer.text().length).toBeLessThanOrEqual(1_000 + 100);
    expect(buffer.lineCount).toBe(33_334);
    expect(buffer.line(buffer.lineCount - 1)).toBe('999979999899999');
  });
});
