// What `fleetboot lab up` (and the provisioning e2e test) puts on the lab segment: one fleetboot in full DHCP mode
// at LAB_SERVER with the lab's Debian profile, and VMs with fixed MACs, SMBIOS UUIDs and host names, brought into
// the inventory with `fleetboot machines import` as an operator would. Pure: text in, text out.
import { stringify } from 'yaml';

export const LAB_SERVER = '198.18.0.1';
export const LAB_SUBNET = '198.18.0.0/24';
export const LAB_HTTP_PORT = 8080;
export const LAB_DOMAIN = 'lab.test';

/** Where Debian's `debian-installer-12-netboot-amd64` package puts the netboot tree `fleetboot os import` reads. */
export const DEBIAN_12_NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
/** The name `fleetboot os import` gives that tree (`<distribution>-<release>-<arch>`). */
export const DEBIAN_12_IMAGE = 'debian-12-amd64';
export const LAB_PROFILE = 'debian12-lab';

/** At most this many VMs: one tap each, and the lab allows 64 (LAB_LIMITS.taps). */
export const MAX_LAB_VMS = 64;

export interface LabVm {
  /** 1-based. */
  readonly index: number;
  readonly name: string;
  readonly hostname: string;
  readonly mac: string;
  readonly uuid: string;
  readonly firmware: 'bios' | 'uefi';
}

/** The lab's VM number `index` (1…MAX_LAB_VMS): locally administered MAC 52:54:00:fb:01:NN, a matching UUID. */
export function labVm(index: number, firmware: 'bios' | 'uefi'): LabVm {
  if (!Number.isInteger(index) || index < 1 || index > MAX_LAB_VMS) {
    throw new RangeError(`VM number ${index} is outside 1…${MAX_LAB_VMS}`);
  }
  const hex = index.toString(16).padStart(2, '0');
  const two = String(index).padStart(2, '0');
  return {
    index,
    name: `vm${two}`,
    hostname: `vm${two}.${LAB_DOMAIN}`,
    mac: `52:54:00:fb:01:${hex}`,
    uuid: `8f2e1a40-5c3b-4d21-9e7f-0000000001${hex}`,
    firmware,
  };
}

export interface LabConfigOptions {
  /** Directory of the lab's data (database, boot root). */
  readonly dataDir: string;
  /** The interface of fleetboot's lab host (its namespace's end of the veth). */
  readonly interfaceName: string;
  /** Kernel arguments the profile adds; the lab's screen is the serial console. */
  readonly kernelArgs?: string;
}

/**
 * The serial console is the only screen a lab VM has; `---` copies what follows to the installed system.
 * ipv6.disable=1: no router advertises a prefix on the lab segment, and d-i would wait for one before the preseed.
 */
export const LAB_KERNEL_ARGS = 'ipv6.disable=1 console=ttyS0,115200n8 --- console=ttyS0,115200n8';

// "password" (`openssl passwd -6 -salt fleetbootlab00 password`): the lab's VMs are throwaway, on a segment no
// other machine reaches, and the preseed only ever takes a hash. Printed by `lab up` so the console can be used.
export const LAB_PASSWORD = 'password';
const LAB_PASSWORD_HASH =
  '$6$fleetbootlab00$YIOTiBceBTfxxBzRvNPJXGAXOSyYC4hLYzyc6Y66I9Y7BGzT247zKYic0C4WACsAE5qGFbcuFp/RWVHU2R5nL/';

export function labConfigText(options: LabConfigOptions): string {
  const config = {
    dataDir: options.dataDir,
    http: { listen: `${LAB_SERVER}:${LAB_HTTP_PORT}` },
    tftp: { listen: `${LAB_SERVER}:69` },
    dhcp: {
      mode: 'full',
      interfaces: [options.interfaceName],
      subnets: [
        {
          subnet: LAB_SUBNET,
          pools: [{ start: '198.18.0.100', end: '198.18.0.199' }],
          // d-i asks "Continue without a default route?" before it fetches the preseed when DHCP gives none.
          router: LAB_SERVER,
          dns: [LAB_SERVER],
          leaseTime: 3600,
        },
      ],
    },
    profiles: [
      {
        name: LAB_PROFILE,
        os: DEBIAN_12_IMAGE,
        template: 'debian-preseed',
        kernelArgs: options.kernelArgs ?? LAB_KERNEL_ARGS,
        variables: {
          locale: 'en_US.UTF-8',
          keyboard: 'us',
          domain: LAB_DOMAIN,
          timezone: 'Etc/UTC',
          disk: '/dev/vda',
          username: 'lab',
          userPasswordHash: LAB_PASSWORD_HASH,
        },
      },
    ],
    rules: [{ name: 'lab-segment', match: { subnet: LAB_SUBNET }, profile: LAB_PROFILE }],
  };
  return `# Written by fleetboot lab up.\n${stringify(config, { lineWidth: 0 })}`;
}

/** The VMs as a `fleetboot machines import` file (YAML), each with the lab profile. */
export function labMachinesText(vms: readonly LabVm[]): string {
  const rows = vms.map((vm) => ({
    mac: vm.mac,
    uuid: vm.uuid,
    hostname: vm.hostname,
    labels: { lab: 'yes', firmware: vm.firmware },
    profile: LAB_PROFILE,
  }));
  return `# Written by fleetboot lab up.\n${stringify(rows, { lineWidth: 0 })}`;
}
