// `fleetboot lab up`: one Linux machine shows what fleetboot does. A lab (network namespaces, src/lab) with a
// bridge, fleetboot in full DHCP mode on it with Debian 12's netboot installer imported, and N QEMU VMs imported
// into its inventory and marked for install, each PXE-booting into the installer. The process that builds the lab owns
// it (namespaces and processes are removed when it ends); by default it runs detached, so `lab up` returns once
// everything runs and `lab down` ends it.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_STATE_DIR, Lab, startQemu } from '../../lab/index.js';
import { identify } from '../../lab/proc.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { runCli } from '../program.js';
import {
  DEBIAN_12_NETBOOT,
  LAB_HTTP_PORT,
  LAB_PASSWORD,
  LAB_SERVER,
  labConfigText,
  labMachinesText,
  labVm,
  type LabVm,
} from './lab-config.js';
import { DIR_MARKER, readUpRecord, removeUpRecord, writeUpRecord } from './up-record.js';

export type LabFirmware = 'bios' | 'uefi' | 'mixed';

export interface LabUpOptions {
  readonly vms: number;
  readonly firmware: LabFirmware;
  readonly dir: string;
  readonly stateDir: string;
  readonly accel: 'kvm' | 'tcg';
}

const SUMMARY_FILE = 'summary.txt';
const OWNER_LOG = 'lab-up.log';
const SERVER_LOG = 'fleetboot.log';
/** Importing the image and starting fleetboot and the VMs; generous for a loaded machine. */
const READY_TIMEOUT_MS = 300_000;

/**
 * Starts the owner detached (its output in `<stateDir>/lab-up.log`), waits until it reports the lab up or exits, and
 * prints what to watch. Refuses when a lab up already runs for this state directory.
 */
export async function labUpDetached(options: LabUpOptions, io: CliIo): Promise<void> {
  refuseRunningLab(options);
  prepareDirectory(options.dir);
  // The owner's log sits beside the record, not in the directory: a failed lab up removes its directory, and the
  // log says why.
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(options.stateDir, OWNER_LOG);
  const log = openSync(logFile, 'w', 0o600);
  const [script] = process.argv.slice(1);
  if (script === undefined)
    throw new CommandError('cannot tell how this fleetboot was started', ExitCode.failure);
  // The same node, loader flags (tsx when run from source) and script, as its own session leader: the terminal's
  // Ctrl-C or hang-up does not reach it.
  const child = spawn(process.execPath, [...process.execArgv, script, ...ownerArgs(options)], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const summary = path.join(options.dir, SUMMARY_FILE);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(summary)) {
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(logFile, 'utf8').slice(-4000);
      throw new CommandError(
        `lab up ${exited === undefined ? `did not come up in ${READY_TIMEOUT_MS / 1000} s` : `failed (exit ${String(exited)})`}; ` +
          `its log (${logFile}) ends:\n${tail}` +
          (exited === undefined ? '\nstop it with: fleetboot lab down' : ''),
        ExitCode.failure,
      );
    }
    await sleep(250);
  }
  io.stdout(readFileSync(summary, 'utf8'));
}

function ownerArgs(options: LabUpOptions): string[] {
  return [
    'lab',
    'up',
    '--foreground',
    '--vms',
    String(options.vms),
    '--firmware',
    options.firmware,
    '--dir',
    options.dir,
    '--state-dir',
    options.stateDir,
    '--accel',
    options.accel,
  ];
}

/**
 * Builds the lab in this process and keeps it until SIGTERM or SIGINT (`lab down`, Ctrl-C), then removes it all.
 * `log` receives progress lines; the summary goes to `<dir>/summary.txt` and to `log` once everything runs.
 */
export async function labUpForeground(options: LabUpOptions, io: CliIo): Promise<void> {
  refuseRunningLab(options);
  prepareDirectory(options.dir);
  const say = (text: string): void => {
    io.stdout(`${new Date().toISOString()} ${text}\n`);
  };
  const lab = await Lab.create({ name: 'fleetboot lab up', stateDir: options.stateDir });
  const owner = identify(process.pid);
  if (owner === undefined) throw new CommandError('cannot read /proc/self/stat', ExitCode.failure);
  writeUpRecord(options.stateDir, { version: 1, tag: lab.tag, owner, dir: options.dir });
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  try {
    const vms = Array.from({ length: options.vms }, (_, i) =>
      labVm(i + 1, options.firmware === 'mixed' ? (i % 2 === 0 ? 'bios' : 'uefi') : options.firmware),
    );
    const sw = await lab.addSwitch();
    const server = await lab.addHost('fleetboot', { switch: sw, address: `${LAB_SERVER}/24` });
    const configFile = path.join(options.dir, 'fleetboot.yaml');
    writeFileSync(
      configFile,
      labConfigText({
        dataDir: path.join(options.dir, 'data'),
        interfaceName: server.interfaces[0]?.name ?? '',
      }),
    );
    const machinesFile = path.join(options.dir, 'machines.yaml');
    writeFileSync(machinesFile, labMachinesText(vms));
    say(`lab ${lab.tag}: importing ${DEBIAN_12_NETBOOT}`);
    await fleetboot(io, configFile, ['os', 'import', DEBIAN_12_NETBOOT]);
    say('starting fleetboot serve');
    const serverLog = path.join(options.dir, SERVER_LOG);
    const [script] = process.argv.slice(1);
    // Its log to a file the operator can follow; `exec` keeps the PID the lab tracks that of fleetboot itself.
    const serve = server.run('/bin/sh', [
      '-c',
      'exec "$@" >>"$0" 2>&1',
      serverLog,
      process.execPath,
      ...process.execArgv,
      script ?? '',
      'serve',
      '-c',
      configFile,
    ]);
    await waitForFileLine(serverLog, /"msg":"fleetboot up"/, 60_000, () => serve.exit === undefined);
    // A read-only API token for the operator watching the lab; the lab is theirs alone, so it is printed.
    const viewerToken = (
      await fleetbootOutput(io, configFile, ['token', 'create', '--name', 'lab-viewer', '--role', 'viewer'])
    ).trim();
    say(`importing and marking ${vms.length} machine(s) for install`);
    await fleetboot(io, configFile, ['machines', 'import', machinesFile, '--actor', 'fleetboot lab up']);
    // Marking goes through the API, which listens inside the lab's namespace only: the CLI runs there, with an
    // operator token of its own that the audit log names.
    const operatorToken = (
      await fleetbootOutput(io, configFile, ['token', 'create', '--name', 'lab-up', '--role', 'operator'])
    ).trim();
    const marked = await server.exec(
      process.execPath,
      [
        ...process.execArgv,
        script ?? '',
        'machines',
        'install',
        '--label',
        'lab=yes',
        '--server',
        labApiBase(),
      ],
      { env: { FLEETBOOT_TOKEN: operatorToken }, timeoutMs: 60_000 },
    );
    if (marked.code !== 0) {
      throw new CommandError(
        `fleetboot machines install failed (exit ${String(marked.code)}):\n${marked.stderr}`,
        ExitCode.failure,
      );
    }
    for (const vm of vms) {
      const tap = await lab.addTap(sw);
      startQemu(tap, {
        firmware: vm.firmware,
        mac: vm.mac,
        uuid: vm.uuid,
        dir: options.dir,
        name: vm.name,
        memoryMiB: 1024,
        diskGiB: 8,
        accel: options.accel,
      });
      say(`started ${vm.name} (${vm.firmware}, ${vm.mac})`);
    }
    const summary = summaryText({
      tag: lab.tag,
      namespace: server.namespace,
      options,
      configFile,
      serverLog,
      vms,
      viewerToken,
    });
    writeFileSync(path.join(options.dir, SUMMARY_FILE), summary);
    io.stdout(summary);
    const signal = await stopped;
    say(`${signal}: removing the lab`);
  } finally {
    await lab.destroy();
    removeLabFiles(options);
  }
}

/** The lab's directory (only when it holds the marker lab up wrote) and the record. */
export function removeLabFiles(options: { readonly dir: string; readonly stateDir: string }): void {
  if (existsSync(path.join(options.dir, DIR_MARKER))) rmSync(options.dir, { recursive: true, force: true });
  removeUpRecord(options.stateDir);
}

/** What lab down removes besides: the log of the last lab up's owner. */
export function removeOwnerLog(stateDir: string): void {
  rmSync(path.join(stateDir, OWNER_LOG), { force: true });
}

function refuseRunningLab(options: LabUpOptions): void {
  const record = readUpRecord(options.stateDir);
  if (record === undefined) return;
  const owner = identify(record.owner.pid);
  if (owner?.startTime === record.owner.startTime && owner.pid !== process.pid) {
    throw new CommandError(
      `a lab is already up (lab ${record.tag}, process ${record.owner.pid}, ${record.dir}): fleetboot lab down first`,
      ExitCode.failure,
    );
  }
}

/** Creates the directory (mode 0700), or takes an empty one or one an earlier lab up left; refuses others. */
function prepareDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes(DIR_MARKER)) {
    throw new CommandError(
      `${dir} is not empty and was not made by fleetboot lab up: choose another with --dir`,
      ExitCode.usage,
    );
  }
  writeFileSync(path.join(dir, DIR_MARKER), 'made by fleetboot lab up; removed by fleetboot lab down\n');
}

/** Runs one fleetboot command in this process, its output to ours; a failure ends lab up. */
async function fleetboot(io: CliIo, configFile: string, argv: readonly string[]): Promise<void> {
  const code = await runCli(['-c', configFile, ...argv], io);
  if (code !== ExitCode.ok) {
    throw new CommandError(`fleetboot ${argv.join(' ')} failed (exit ${code})`, ExitCode.failure);
  }
}

/** The same, returning what it printed on standard output instead of passing it on. */
async function fleetbootOutput(io: CliIo, configFile: string, argv: readonly string[]): Promise<string> {
  let stdout = '';
  await fleetboot({ ...io, stdout: (text) => (stdout += text) }, configFile, argv);
  return stdout;
}

async function waitForFileLine(
  file: string,
  pattern: RegExp,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (pattern.test(text)) return;
    if (!alive() || Date.now() > deadline) {
      throw new CommandError(
        `fleetboot serve did not come up${alive() ? ` in ${timeoutMs / 1000} s` : ''}; ${file} ends:\n${text.slice(-3000)}`,
        ExitCode.failure,
      );
    }
    await sleep(250);
  }
}

interface Summary {
  readonly tag: string;
  readonly namespace: string;
  readonly options: LabUpOptions;
  readonly configFile: string;
  readonly serverLog: string;
  readonly vms: readonly LabVm[];
  readonly viewerToken: string;
}

/** Where fleetboot serves its API inside the lab's namespace. */
function labApiBase(): string {
  return `http://${LAB_SERVER}:${LAB_HTTP_PORT}`;
}

function summaryText(s: Summary): string {
  const inNs = `ip netns exec ${s.namespace}`;
  const base = labApiBase();
  const cli = `${inNs} env FLEETBOOT_URL=${base} FLEETBOOT_TOKEN=${s.viewerToken} fleetboot`;
  const api = `${inNs} curl -s -H 'Authorization: Bearer ${s.viewerToken}' ${base}/api/v1`;
  return [
    `fleetboot lab ${s.tag} is up: ${s.vms.length} VM(s) PXE-booting the Debian 12 installer from fleetboot at ${LAB_SERVER}.`,
    '',
    `  directory     ${s.options.dir}`,
    `  config        ${s.configFile}`,
    `  server log    tail -f ${s.serverLog}`,
    `  machines      ${cli} machines list`,
    `  status        ${cli} status        (events: ${cli} events --follow)`,
    `  API           ${api}/machines   (also /events, /events/stream, /leases, /images; viewer token)`,
    `  API docs      ${inNs} curl -s ${base}/api/v1/docs`,
    `  health        ${inNs} curl -s ${base}/healthz`,
    ...s.vms.map(
      (vm) =>
        `  ${vm.name.padEnd(12)}  tail -f ${path.join(s.options.dir, `serial-${vm.name}.log`)}   (${vm.firmware}, ${vm.mac}, ${vm.hostname})`,
    ),
    '',
    `  fleetboot listens inside the lab's namespace only: run curl there (ip netns exec), as above.`,
    `  The installed systems' user is "lab", password "${LAB_PASSWORD}". The lab segment has no uplink: the`,
    '  installer gets as far as its mirror (see docs/walkthrough-debian12.md for a real network).',
    `  Remove everything: fleetboot lab down${s.options.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${s.options.stateDir}`}`,
    '',
  ].join('\n');
}
