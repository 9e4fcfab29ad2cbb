// Removing a lab: stop its processes (all at once: SIGTERM, a shared grace period, SIGKILL), then delete its
// namespaces (which deletes every link in them: the bridge, the veth pairs, the taps). One algorithm, two ways to
// run it: asynchronously for destroy() and the sweep of labs whose owner died, so waiting for processes never
// blocks the event loop; synchronously only for the process 'exit' and signal handlers, where nothing async runs
// any more. The algorithm is a generator of effects (run `ip`, sleep) so both drivers share every decision.
import { setTimeout as sleep } from 'node:timers/promises';
import { ipArgs, parsePids } from './commands.js';
import { ipResult, isAlreadyGone, ipSync, type IpResult } from './ip.js';
import { belongsToLab, type LabTag } from './names.js';
import { identify, isRunning, type ProcessIdentity, sleepSync } from './proc.js';

/** After SIGKILL, how long to wait for the kernel to finish a process before giving up on it. */
const KILL_WAIT_MS = 2_000;
const POLL_MS = 20;

export interface TeardownTarget {
  readonly tag: LabTag;
  readonly namespaces: readonly string[];
  /** Processes the lab started; each was made the leader of its own process group. */
  readonly processes: readonly ProcessIdentity[];
}

export interface TeardownReport {
  /** PIDs that exited after SIGTERM. */
  readonly terminated: number[];
  /** PIDs that needed SIGKILL. */
  readonly killed: number[];
  readonly deletedNamespaces: string[];
  /** What could not be done; empty when the lab is gone without a trace. */
  readonly errors: string[];
}

interface Victim extends ProcessIdentity {
  /** Signal its whole process group (a process the lab started), or just the PID (found in a namespace). */
  readonly group: boolean;
}

/** What the algorithm asks its driver to do; both answer with an `ip` result (a sleep answers success). */
type Effect =
  { readonly kind: 'ip'; readonly args: string[] } | { readonly kind: 'sleep'; readonly ms: number };
type Steps<T> = Generator<Effect, T, IpResult>;

const SLEPT: IpResult = { ok: true, stdout: '' };

/** Tears down without blocking: for destroy() and the sweep. */
export async function teardownAsync(target: TeardownTarget, graceMs: number): Promise<TeardownReport> {
  const steps = teardownSteps(target, graceMs);
  let step = steps.next();
  while (step.done !== true) {
    const effect = step.value;
    step = steps.next(effect.kind === 'ip' ? await ipResult(effect.args) : (await sleep(effect.ms), SLEPT));
  }
  return step.value;
}

/** Tears down blocking the thread: only for the 'exit' and signal handlers. */
export function teardownSync(target: TeardownTarget, graceMs: number): TeardownReport {
  const steps = teardownSteps(target, graceMs);
  let step = steps.next();
  while (step.done !== true) {
    const effect = step.value;
    step = steps.next(effect.kind === 'ip' ? ipSync(effect.args) : (sleepSync(effect.ms), SLEPT));
  }
  return step.value;
}

function* teardownSteps(target: TeardownTarget, graceMs: number): Steps<TeardownReport> {
  const report: TeardownReport = { terminated: [], killed: [], deletedNamespaces: [], errors: [] };
  const namespaces = target.namespaces.filter((ns) => {
    if (belongsToLab(target.tag, ns)) return true;
    report.errors.push(`refused to touch namespace ${ns}: it does not carry the lab tag ${target.tag}`);
    return false;
  });
  const victims = yield* findVictims(target.processes, namespaces, report);
  signalAll(victims, 'SIGTERM', report);
  const survivors = yield* waitForExit(victims, graceMs);
  report.terminated.push(...victims.filter((v) => !survivors.includes(v)).map((v) => v.pid));
  signalAll(survivors, 'SIGKILL', report);
  report.killed.push(...survivors.map((v) => v.pid));
  for (const v of yield* waitForExit(survivors, KILL_WAIT_MS)) {
    report.errors.push(`process ${v.pid} survived SIGKILL for ${KILL_WAIT_MS} ms`);
  }
  for (const ns of [...namespaces].reverse()) {
    const result = yield { kind: 'ip', args: ipArgs.deleteNamespace(ns) };
    if (result.ok) report.deletedNamespaces.push(ns);
    else if (!isAlreadyGone(result.error)) report.errors.push(result.error.message);
  }
  return report;
}

/**
 * The processes the lab started, plus every other process inside its namespaces: those can only be descendants
 * of the lab's processes that left their process group (a daemon forked by a DHCP client), and a process left in
 * a namespace would keep it, and its links, alive after the name is deleted.
 */
function* findVictims(
  started: readonly ProcessIdentity[],
  namespaces: readonly string[],
  report: TeardownReport,
): Steps<Victim[]> {
  const victims = new Map<number, Victim>();
  for (const p of started) if (isSafeTarget(p.pid) && isRunning(p)) victims.set(p.pid, { ...p, group: true });
  for (const ns of namespaces) {
    const result = yield { kind: 'ip', args: ipArgs.namespacePids(ns) };
    if (!result.ok) {
      if (!isAlreadyGone(result.error)) report.errors.push(result.error.message);
      continue;
    }
    for (const pid of parsePids(result.stdout)) {
      const identity = isSafeTarget(pid) ? identify(pid) : undefined;
      if (identity && !victims.has(pid)) victims.set(pid, { ...identity, group: false });
    }
  }
  return [...victims.values()];
}

function isSafeTarget(pid: number): boolean {
  return pid > 1 && pid !== process.pid;
}

function signalAll(victims: readonly Victim[], signal: NodeJS.Signals, report: TeardownReport): void {
  for (const v of victims) {
    // Re-checked right before each signal: a PID is only ever signalled while it is the process we recorded.
    if (!isRunning(v)) continue;
    try {
      process.kill(v.group ? -v.pid : v.pid, signal);
    } catch (error: unknown) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ESRCH' && v.group) signalPid(v.pid, signal, report);
      else if (code !== 'ESRCH') report.errors.push(`${signal} to ${v.pid}: ${String(error)}`);
    }
  }
}

function signalPid(pid: number, signal: NodeJS.Signals, report: TeardownReport): void {
  try {
    process.kill(pid, signal);
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code !== 'ESRCH')
      report.errors.push(`${signal} to ${pid}: ${String(error)}`);
  }
}

/** Waits up to `ms` for all the victims together to exit; returns those still running. */
function* waitForExit(victims: readonly Victim[], ms: number): Steps<Victim[]> {
  const deadline = Date.now() + ms;
  let running = victims.filter(isRunning);
  while (running.length > 0 && Date.now() < deadline) {
    yield { kind: 'sleep', ms: POLL_MS };
    running = running.filter(isRunning);
  }
  return running;
}
