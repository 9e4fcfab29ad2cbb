import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  labConfigText,
  labMachinesText,
  labVm,
  LAB_PROFILE,
  MAX_LAB_VMS,
} from '../../src/cli/lab/lab-config.js';
import { parseImportFile } from '../../src/cli/machines/import-file.js';
import { loadConfig } from '../../src/config/load.js';
import { cpuHasVirtualization } from '../../src/lab/index.js';
import { parseMac } from '../../src/values/mac.js';
import { parseUuid } from '../../src/values/uuid.js';

describe('the lab config of fleetboot lab up', () => {
  it('numbers VMs with distinct, valid MACs, UUIDs and host names, and refuses numbers outside 1…64', () => {
    const vms = Array.from({ length: MAX_LAB_VMS }, (_, i) => labVm(i + 1, 'bios'));
    for (const key of ['mac', 'uuid', 'hostname', 'name'] as const) {
      expect(new Set(vms.map((vm) => vm[key])).size).toBe(MAX_LAB_VMS);
    }
    for (const vm of vms) {
      expect(parseMac(vm.mac)).toBe(vm.mac);
      expect(parseUuid(vm.uuid)).toBe(vm.uuid);
    }
    expect(labVm(10, 'uefi')).toMatchObject({
      name: 'vm10',
      mac: '52:54:00:fb:01:0a',
      hostname: 'vm10.lab.test',
    });
    expect(() => labVm(0, 'bios')).toThrow(RangeError);
    expect(() => labVm(MAX_LAB_VMS + 1, 'bios')).toThrow(RangeError);
  });

  it('is a configuration fleetboot loads: full DHCP with a router, and the lab profile', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-lab-config-'));
    const file = path.join(dir, 'fleetboot.yaml');
    writeFileSync(file, labConfigText({ dataDir: path.join(dir, 'data'), interfaceName: 'fbl00000e0' }));
    const { config } = loadConfig({ path: file, env: {} });
    expect(config.dhcp.mode).toBe('full');
    expect(config.dhcp.subnets[0]?.router).toBe('198.18.0.1');
    expect(config.profiles.map((p) => p.name)).toEqual([LAB_PROFILE]);
    expect(config.profiles[0]?.kernelArgs).toContain('console=ttyS0');
    expect(config.rules.map((r) => r.profile)).toEqual([LAB_PROFILE]);
  });

  it('lists the VMs in a file fleetboot machines import takes, each with the lab profile', () => {
    const vms = [labVm(1, 'bios'), labVm(2, 'uefi')];
    const result = parseImportFile(labMachinesText(vms), 'yaml', new Set([LAB_PROFILE]));
    expect(result.problems).toEqual([]);
    expect(result.machines).toEqual(
      vms.map((vm) => ({
        macs: [vm.mac],
        uuid: vm.uuid,
        hostname: vm.hostname,
        labels: { lab: 'yes', firmware: vm.firmware },
        profile: LAB_PROFILE,
      })),
    );
  });
});

describe('choosing KVM for lab VMs', () => {
  it('needs the CPU to offer VT-x or AMD-V, not just a /dev/kvm', () => {
    const cpu = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\n`;
    expect(cpuHasVirtualization(cpu('fpu vme de pse tsc msr vmx sse2'))).toBe(true);
    expect(cpuHasVirtualization(cpu('fpu vme svm lm'))).toBe(true);
    expect(cpuHasVirtualization(cpu('fpu vme de pse tsc msr sse2 hypervisor'))).toBe(false);
    // A flag name that merely contains the letters is not the flag.
    expect(cpuHasVirtualization(cpu('fpu vmxe svmx'))).toBe(false);
    expect(cpuHasVirtualization('')).toBe(false);
  });
});
