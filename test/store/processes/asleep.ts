// Whether a child's main thread is asleep in a timed sleep. SQLite's busy handler waits for a lock that way
// (usleep/nanosleep between tries); a Node process otherwise waits in epoll, so a child that printed that it is
// about to write and is now asleep has tried for the lock, found it held, and is waiting: an event the busy-timeout
// test can wait for, instead of guessing how long the child takes to get there. Linux: /proc/<pid>/syscall names
// the system call a blocked thread is in (readable for one's own children).
import { readFileSync } from 'node:fs';

// nanosleep, clock_nanosleep (arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h).
const SLEEPS: Partial<Record<NodeJS.Architecture, readonly string[]>> = {
  x64: ['35', '230'],
  arm64: ['101', '115'],
};

export function isAsleep(pid: number): boolean {
  const sleeps = SLEEPS[process.arch];
  if (sleeps === undefined) throw new Error(`no sleep system call numbers for ${process.arch}`);
  const syscall = readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0] ?? '';
  return sleeps.includes(syscall);
}
