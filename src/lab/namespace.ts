import { dropIncomingScript, nftArgs, parseDroppedPackets } from './commands.js';
import type { LabAddress } from './address.js';
import { LabError } from './errors.js';
import { DEFAULT_WAIT_MS, type ExitStatus, type LabProcess } from './lab-process.js';

export interface RunOptions {
  /** Added to (and overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** 'pipe' to write to the process (`proc.stdin`); default 'ignore'. */
  readonly stdin?: 'pipe' | 'ignore';
}

export interface ExecOptions extends Omit<RunOptions, 'stdin'> {
  /** Default 10 s; on timeout the process is stopped and a LabTimeoutError carries its output. */
  readonly timeoutMs?: number;
  /** Written to standard input, which is then closed. */
  readonly input?: string;
}

export interface ExecResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
}

/** How a namespace starts processes: through its lab, which tracks each one until it exits. */
export type Spawn = (
  namespace: string,
  command: string,
  args: readonly string[],
  options: RunOptions,
) => LabProcess;

/** A network namespace of the lab: a place to run processes in. */
export class LabNamespace {
  constructor(
    /** The namespace's name, as `ip netns list` shows it. */
    readonly namespace: string,
    private readonly spawn: Spawn,
  ) {}

  /** Starts `command` inside this namespace (`ip netns exec NS command args…`, no shell) and tracks it. */
  run(command: string, args: readonly string[] = [], options: RunOptions = {}): LabProcess {
    return this.spawn(this.namespace, command, args, options);
  }

  /** Runs `command` to completion inside this namespace. A non-zero exit is returned, not thrown. */
  async exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutMs = DEFAULT_WAIT_MS, input, ...runOptions } = options;
    const proc = this.run(command, args, { ...runOptions, stdin: input === undefined ? 'ignore' : 'pipe' });
    if (input !== undefined) {
      // A command that exits without reading its input would make the write fail with EPIPE; its exit status
      // says what happened.
      proc.stdin?.on('error', () => undefined);
      proc.stdin?.end(input);
    }
    try {
      const status = await proc.waitForExit(timeoutMs);
      return { ...status, stdout: proc.stdout, stderr: proc.stderr };
    } catch (error: unknown) {
      await proc.stop();
      throw error;
    }
  }
}

/** A segment: a Linux bridge inside a namespace of its own, so it never appears among the host's links. */
export class Switch extends LabNamespace {
  constructor(
    namespace: string,
    spawn: Spawn,
    readonly index: number,
    /** The bridge's interface name inside `namespace` (capture the whole segment with tcpdump on it). */
    readonly bridge: string,
  ) {
    super(namespace, spawn);
  }
}

export interface HostInterface {
  /** The interface name inside the host's namespace. */
  readonly name: string;
  readonly switch: Switch;
  readonly address: LabAddress | undefined;
}

/** A machine on the lab's segments: a namespace with one veth interface per switch it is connected to. */
export class Host extends LabNamespace {
  private readonly links: HostInterface[] = [];
  private dropPercent = 0;

  constructor(
    namespace: string,
    spawn: Spawn,
    /** The name given to addHost. */
    readonly name: string,
  ) {
    super(namespace, spawn);
  }

  get interfaces(): readonly HostInterface[] {
    return this.links;
  }

  /** The address of the first interface that has one (what a test usually binds to). */
  get ip(): string | undefined {
    return this.links.find((l) => l.address !== undefined)?.address?.ip;
  }

  /** Called by the lab once an interface is up; not for tests. */
  attach(link: HostInterface): void {
    this.links.push(link);
  }

  /**
   * Drops `percent` % (an integer 0–100) of the IP packets arriving for this host's sockets, at random; 0 removes
   * the rule. Packet sockets (dhclient, tcpdump) still see dropped packets: they read before netfilter.
   */
  async dropIncoming(percent: number): Promise<void> {
    const result = await this.exec('nft', nftArgs.applyScript(), { input: dropIncomingScript(percent) });
    if (result.code !== 0) throw new LabError(`nft in ${this.namespace} failed: ${result.stderr.trim()}`);
    this.dropPercent = percent;
  }

  /** Packets dropped since the last dropIncoming call (0 when no drop rule is set). */
  async droppedPackets(): Promise<number> {
    if (this.dropPercent === 0) return 0;
    const result = await this.exec('nft', nftArgs.listTable());
    if (result.code !== 0) throw new LabError(`nft in ${this.namespace} failed: ${result.stderr.trim()}`);
    return parseDroppedPackets(result.stdout);
  }
}

/** A tap device on a switch, for a QEMU guest. QEMU must run in the switch's namespace to open it. */
export class Tap {
  readonly switch: Switch;

  constructor(
    readonly name: string,
    sw: Switch,
  ) {
    this.switch = sw;
  }

  /** QEMU's `-netdev` value: `tap.switch.run('qemu-system-x86_64', ['-netdev', tap.qemuNetdev('n0'), …])`. */
  qemuNetdev(id: string): string {
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,30}$/.test(id))
      throw new LabError(`invalid QEMU netdev id ${JSON.stringify(id)}`);
    return `tap,id=${id},ifname=${this.name},script=no,downscript=no`;
  }
}
