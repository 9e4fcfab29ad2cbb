import { spawn as spawnChild } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { Mac } from '../values/mac.js';
import { type LabAddress, parseLabAddress, parseLabMac } from './address.js';
import { ipArgs } from './commands.js';
import { LabError, LabUnavailableError } from './errors.js';
import { cleanUpOnExit, forgetOnExit } from './exit-hooks.js';
import { ip } from './ip.js';
import { DEFAULT_STOP_GRACE_MS, LabProcess } from './lab-process.js';
import { hostNamespace, interfaceName, type LabTag, newLabTag, switchNamespace } from './names.js';
import { Host, type HostInterface, type RunOptions, Switch, Tap } from './namespace.js';
import { labUnavailableReason, probeLabFacts } from './preflight.js';
import { identify, type ProcessIdentity, readProcStat } from './proc.js';
import { type LabRecord, STATE_VERSION } from './state.js';
import { LabStateStore } from './state-store.js';
import { type SweepReport, sweepAbandonedLabs } from './sweep.js';
import { teardownAsync, type TeardownReport, teardownSync } from './teardown.js';

/** Bounds on one lab: a test that loops by mistake fails fast instead of filling the machine. */
export const LAB_LIMITS = { switches: 16, hosts: 64, links: 256, taps: 64, runningProcesses: 64 } as const;

export interface LabOptions {
  /** A label for people: the test file or scenario. Stored in the state file, not used in names. */
  readonly name: string;
  /** Where state files live; default /run/fleetboot-lab. */
  readonly stateDir?: string;
  /** How long the lab's processes get between SIGTERM and SIGKILL at teardown; default 2 s. */
  readonly stopGraceMs?: number;
}

export interface HostOptions {
  /** Connect the host to this switch at once (more switches: `lab.connect`). */
  readonly switch?: Switch;
  /** `a.b.c.d/nn` inside a test range; without one the interface has no IPv4 address (a DHCP client's case). */
  readonly address?: string;
  /** A fixed MAC for the interface (DHCP reservations, golden captures); default: random from the kernel. */
  readonly mac?: string;
}

export type ConnectOptions = Omit<HostOptions, 'switch'>;

interface PlannedLink {
  readonly sw: Switch;
  readonly address: LabAddress | undefined;
  readonly mac: Mac | undefined;
}

interface Tracked {
  readonly proc: LabProcess;
  readonly identity: ProcessIdentity | undefined;
}

/**
 * A set of network namespaces for one test or one `fleetboot lab` run: switches (bridges, each in a namespace of
 * its own), hosts attached to them by veth pairs, tap devices for QEMU, and the processes run inside. Nothing is
 * created in the namespace of the process that builds it, no host gets a default route, and everything is removed
 * by `destroy()`, by an exit handler, or by the next `Lab.create` if this process is killed.
 */
export class Lab {
  private readonly namespaceList: string[] = [];
  private readonly running = new Map<number, Tracked>();
  private readonly hostsByName = new Map<string, Host>();
  private readonly switchList: Switch[] = [];
  private counters = { switches: 0, links: 0, taps: 0 };
  /** Set once destroy() has started: from then on the lab creates nothing more. */
  private closing: Promise<TeardownReport> | undefined;
  private finalReport: TeardownReport | undefined;
  private readonly exitCleanup = { teardownSync: (): void => void this.teardownBlocking() };

  private constructor(
    /** `fbl` + the lab id: every namespace and interface of this lab starts with it. */
    readonly tag: LabTag,
    readonly name: string,
    /** What the sweep at creation removed (labs of dead owners) or could not remove. */
    readonly sweep: SweepReport,
    private readonly store: LabStateStore,
    private readonly owner: ProcessIdentity,
    private readonly graceMs: number,
  ) {}

  /** Sweeps labs left by dead processes, then reserves a fresh tag. Throws LabUnavailableError when not root. */
  static async create(options: LabOptions): Promise<Lab> {
    await Promise.resolve(); // always asynchronous, also when it throws
    const reason = labUnavailableReason(probeLabFacts());
    if (reason !== undefined) throw new LabUnavailableError(reason);
    const store = new LabStateStore(options.stateDir);
    const graceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const owner = identify(process.pid);
    if (owner === undefined) throw new LabError('cannot read /proc/self/stat');
    const sweep = await sweepAbandonedLabs(store, graceMs);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const lab = new Lab(newLabTag(randomInt), options.name, sweep, store, owner, graceMs);
      if (store.reserve(lab.record())) {
        cleanUpOnExit(lab.exitCleanup);
        return lab;
      }
    }
    throw new LabError(`could not reserve a free lab id in ${store.dir} after 5 attempts`);
  }

  /** Every namespace of the lab, in creation order. */
  get namespaces(): readonly string[] {
    return this.namespaceList;
  }

  get switches(): readonly Switch[] {
    return this.switchList;
  }

  get hosts(): readonly Host[] {
    return [...this.hostsByName.values()];
  }

  /** Processes started in the lab that have not exited yet. */
  get processes(): readonly LabProcess[] {
    return [...this.running.values()].map((t) => t.proc);
  }

  get destroyed(): boolean {
    return this.finalReport !== undefined;
  }

  async addSwitch(): Promise<Switch> {
    const index = this.allocate('switches', LAB_LIMITS.switches);
    const ns = switchNamespace(this.tag, index);
    const bridge = interfaceName(this.tag, 'bridge', index);
    await this.createNamespace(ns);
    await ip(ipArgs.addBridge(ns, bridge));
    await ip(ipArgs.silence(ns, bridge));
    await ip(ipArgs.setUp(ns, bridge));
    const sw = new Switch(ns, this.spawn, index, bridge);
    this.switchList.push(sw);
    return sw;
  }

  /** A namespace with loopback up and, given a switch, one interface on it. It gets no default route. */
  async addHost(name: string, options: HostOptions = {}): Promise<Host> {
    const ns = hostNamespace(this.tag, name);
    if (this.hostsByName.has(name)) throw new LabError(`lab ${this.tag} already has a host named ${name}`);
    if (this.hostsByName.size >= LAB_LIMITS.hosts)
      throw new LabError(`a lab has at most ${LAB_LIMITS.hosts} hosts`);
    const { switch: sw, ...connectOptions } = options;
    if (sw === undefined && (options.address !== undefined || options.mac !== undefined)) {
      throw new LabError(`host ${name}: an address or MAC needs a switch to connect to`);
    }
    // Validate everything before creating anything, so a typo leaves no half-built host behind.
    const link = sw === undefined ? undefined : this.planLink(sw, connectOptions);
    const host = new Host(ns, this.spawn, name);
    this.hostsByName.set(name, host);
    try {
      await this.createNamespace(ns);
    } catch (error: unknown) {
      this.hostsByName.delete(name);
      throw error;
    }
    if (link !== undefined) await this.createLink(host, link);
    return host;
  }

  /** Connects a host to a switch with a veth pair (a relay or router has one interface per segment). */
  async connect(host: Host, sw: Switch, options: ConnectOptions = {}): Promise<HostInterface> {
    if (this.hostsByName.get(host.name) !== host) {
      throw new LabError(`host ${host.namespace} is not part of lab ${this.tag}`);
    }
    return this.createLink(host, this.planLink(sw, options));
  }

  /** A tap device on the switch; run QEMU with `tap.switch.run(…)` so it can open it. */
  async addTap(sw: Switch): Promise<Tap> {
    this.checkSwitch(sw);
    const name = interfaceName(this.tag, 'tap', this.allocate('taps', LAB_LIMITS.taps));
    await ip(ipArgs.addTap(sw.namespace, name));
    await ip(ipArgs.silence(sw.namespace, name));
    await ip(ipArgs.setMaster(sw.namespace, name, sw.bridge));
    await ip(ipArgs.setUp(sw.namespace, name));
    return new Tap(name, sw);
  }

  /**
   * Stops every process the lab started and anything left inside its namespaces, all at once (SIGTERM, then
   * SIGKILL after the grace period), then deletes the namespaces and with them every link. Asynchronous: the
   * event loop keeps running while processes are given their grace period (at most that plus 2 s). From the
   * first call the lab creates nothing more; later calls return the same outcome. Rejects if something could not
   * be removed; the state file then stays, so a later sweep retries.
   */
  async destroy(): Promise<TeardownReport> {
    this.closing ??= this.teardownInBackground();
    const report = await this.closing;
    if (report.errors.length > 0) {
      throw new LabError(`lab ${this.tag} was not fully removed: ${report.errors.join('; ')}`);
    }
    return report;
  }

  private async teardownInBackground(): Promise<TeardownReport> {
    // The exit handlers stay armed until the end: a SIGTERM during the grace period still removes the lab.
    const report = await teardownAsync(this.record(), this.graceMs);
    return this.finish(report);
  }

  /** For the 'exit' and signal handlers only: nothing asynchronous runs there any more. */
  private teardownBlocking(): TeardownReport {
    return this.finalReport ?? this.finish(teardownSync(this.record(), this.graceMs));
  }

  private finish(report: TeardownReport): TeardownReport {
    // An exit handler may have finished the job while destroy() was waiting; its report stands.
    if (this.finalReport) return this.finalReport;
    this.finalReport = report;
    forgetOnExit(this.exitCleanup);
    if (report.errors.length === 0) this.store.remove(this.tag);
    return report;
  }

  private readonly spawn = (
    namespace: string,
    command: string,
    args: readonly string[],
    options: RunOptions,
  ): LabProcess => {
    this.checkOpen();
    if (this.running.size >= LAB_LIMITS.runningProcesses) {
      throw new LabError(`a lab runs at most ${LAB_LIMITS.runningProcesses} processes at once`);
    }
    const argv = ipArgs.exec(namespace, command, args);
    const child = spawnChild('ip', argv, {
      // A process group of its own: teardown signals the group, which reaches what the command forks.
      detached: true,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    if (child.pid === undefined) {
      child.on('error', () => undefined);
      throw new LabError(`could not start ip ${argv.join(' ')}`);
    }
    const pid = child.pid;
    const stat = readProcStat(pid);
    const proc = new LabProcess(child, pid, namespace, [command, ...args]);
    this.running.set(pid, { proc, identity: stat && { pid, startTime: stat.startTime } });
    this.persist();
    proc.onExit(() => {
      this.running.delete(pid);
      if (!this.destroyed) this.persist();
    });
    return proc;
  };

  private async createNamespace(ns: string): Promise<void> {
    this.checkOpen();
    // Recorded before it exists: if this process dies during `ip netns add`, the sweep still knows the name.
    this.namespaceList.push(ns);
    this.persist();
    try {
      await ip(ipArgs.addNamespace(ns));
    } catch (error: unknown) {
      // Not created by us (it may exist and belong to someone else): never let teardown delete it.
      this.namespaceList.splice(this.namespaceList.indexOf(ns), 1);
      this.persist();
      throw error;
    }
    await ip(ipArgs.setUp(ns, 'lo'));
  }

  private record(): LabRecord {
    return {
      version: STATE_VERSION,
      tag: this.tag,
      name: this.name,
      owner: this.owner,
      namespaces: [...this.namespaceList],
      processes: [...this.running.values()].flatMap((t) => (t.identity ? [t.identity] : [])),
    };
  }

  private persist(): void {
    if (!this.destroyed) this.store.write(this.record());
  }

  private allocate(counter: keyof Lab['counters'], limit: number): number {
    this.checkOpen();
    const index = this.counters[counter];
    if (index >= limit) throw new LabError(`a lab has at most ${limit} ${counter}`);
    this.counters[counter] = index + 1;
    return index;
  }

  private checkOpen(): void {
    if (this.closing !== undefined || this.destroyed) {
      throw new LabError(`lab ${this.tag} (${this.name}) has been destroyed`);
    }
  }

  private checkSwitch(sw: Switch): void {
    if (!this.switchList.includes(sw))
      throw new LabError(`switch ${sw.namespace} is not part of lab ${this.tag}`);
  }

  private planLink(sw: Switch, options: ConnectOptions): PlannedLink {
    this.checkSwitch(sw);
    return {
      sw,
      address: options.address === undefined ? undefined : parseLabAddress(options.address),
      mac: options.mac === undefined ? undefined : parseLabMac(options.mac),
    };
  }

  private async createLink(host: Host, { sw, address, mac }: PlannedLink): Promise<HostInterface> {
    const index = this.allocate('links', LAB_LIMITS.links);
    const port = interfaceName(this.tag, 'port', index);
    const end = interfaceName(this.tag, 'end', index);
    await ip(ipArgs.addVethPair(sw.namespace, port, end, host.namespace));
    await ip(ipArgs.silence(sw.namespace, port));
    await ip(ipArgs.setMaster(sw.namespace, port, sw.bridge));
    await ip(ipArgs.setUp(sw.namespace, port));
    if (mac !== undefined) await ip(ipArgs.setMac(host.namespace, end, mac));
    await ip(ipArgs.setUp(host.namespace, end));
    if (address !== undefined) await ip(ipArgs.addAddress(host.namespace, end, address.cidr));
    const link: HostInterface = { name: end, switch: sw, address };
    host.attach(link);
    return link;
  }
}
