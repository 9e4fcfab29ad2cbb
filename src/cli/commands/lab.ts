import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STATE_DIR, kvmUsable } from '../../lab/index.js';
import type { CliIo } from '../io.js';
import { labDown } from '../lab/down.js';
import { MAX_LAB_VMS } from '../lab/lab-config.js';
import { type LabFirmware, labUpDetached, labUpForeground } from '../lab/up.js';

const DEFAULT_LAB_DIR = '/var/tmp/fleetboot-lab';

interface UpFlags {
  vms: number;
  firmware: LabFirmware;
  dir: string;
  stateDir: string;
  accel: 'auto' | 'kvm' | 'tcg';
  foreground?: boolean;
}

export function registerLab(program: Command, io: CliIo): void {
  const lab = program
    .command('lab')
    .description(
      'A network lab on this Linux machine (root, iproute2, nftables, QEMU): fleetboot and VMs that install ' +
        'Debian 12 from it, inside network namespaces that touch nothing else.',
    );
  const stateDir = (): Option =>
    new Option('--state-dir <dir>', 'where the lab records what it created').default(DEFAULT_STATE_DIR);

  lab
    .command('up')
    .description(
      'Create a bridge in a namespace of its own, fleetboot (full DHCP, TFTP, HTTP) on it with the Debian 12 ' +
        'netboot installer imported (package debian-installer-12-netboot-amd64), and N QEMU VMs declared and ' +
        'marked for install that PXE-boot into the installer. Returns once everything runs and prints what to ' +
        'watch (server log, serial consoles, machine states). Ignores the global --config: the lab writes its own.',
    )
    .addOption(new Option('--vms <n>', `number of VMs, 1–${MAX_LAB_VMS}`).argParser(parseVmCount).default(2))
    .addOption(
      new Option('--firmware <kind>', 'VM firmware: SeaBIOS + iPXE ROM, OVMF, or alternating')
        .choices(['bios', 'uefi', 'mixed'])
        .default('bios'),
    )
    .option(
      '--dir <dir>',
      'directory for the config, data, disks and serial logs (removed by lab down)',
      DEFAULT_LAB_DIR,
    )
    .addOption(stateDir())
    .addOption(
      new Option(
        '--accel <accel>',
        'VM acceleration: kvm, tcg (software emulation: slow, works anywhere), or auto: kvm when /dev/kvm is ' +
          'usable and the CPU offers VT-x/AMD-V, else tcg',
      )
        .choices(['auto', 'kvm', 'tcg'])
        .default('auto'),
    )
    .option('--foreground', 'stay in the foreground and remove the lab on Ctrl-C (default: detach)')
    .action(async (flags: UpFlags) => {
      const options = {
        vms: flags.vms,
        firmware: flags.firmware,
        dir: path.resolve(io.cwd, flags.dir),
        stateDir: path.resolve(io.cwd, flags.stateDir),
        accel: flags.accel === 'auto' ? (kvmUsable() ? 'kvm' : 'tcg') : flags.accel,
      };
      await (flags.foreground === true ? labUpForeground(options, io) : labUpDetached(options, io));
    });

  lab
    .command('down')
    .description('Remove what lab up created: VMs, fleetboot, namespaces, and its directory.')
    .addOption(stateDir())
    .action(async (flags: { stateDir: string }) => {
      await labDown({ stateDir: path.resolve(io.cwd, flags.stateDir) }, io);
    });
}

function parseVmCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_LAB_VMS) {
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_LAB_VMS}`);
  }
  return n;
}
