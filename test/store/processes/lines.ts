// Lines from the parent on standard input, one at a time, for the child-process scripts beside this file.
import { createInterface } from 'node:readline';

const input: AsyncIterator<string> = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** Resolves when the parent sends `expected`; fails on any other line, or when stdin closes first. */
export async function nextLine(expected: string): Promise<void> {
  const next = await input.next();
  if (next.done === true) throw new Error(`stdin closed while waiting for "${expected}"`);
  if (next.value !== expected) throw new Error(`expected "${expected}" on stdin, got "${next.value}"`);
}
