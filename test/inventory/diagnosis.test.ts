import { describe, expect, it } from 'vitest';
import { DEFAULT_DIAGNOSIS_LIMITS, diagnose, duration, loaderFamily } from '../../src/inventory/diagnosis.js';
import { machine, T0, Timeline } from './boot-events.js';

// The stall diagnosis of issue 6 item 4, rule by rule, on event sequences as the DHCP, TFTP, HTTP and installer
// paths record them (boot-events.ts).

const BIOS = { firmware: 'bios', arch: 0, bootFile: 'undionly.kpxe' };
const IPXE_BIOS = { ...BIOS, ipxe: true, bootFile: 'http://192.0.2.1:8080/boot.ipxe' };
const MINUTE = 60_000;

/** A BIOS machine's install boot up to the installer's kernel and initrd, after its mark at T0. */
function installerBooted(): Timeline {
  return new Timeline()
    .marked()
    .dora(BIOS)
    .tftp('undionly.kpxe')
    .dora(IPXE_BIOS)
    .ipxeScript()
    .http('images/debian-12-amd64/linux')
    .http('images/debian-12-amd64/initrd.gz');
}

describe('diagnose: nothing to say', () => {
  it('a healthy install, start to finish', () => {
    const t = installerBooted().answer().progress().done();
    expect(diagnose(machine('installed'), t.events, t.now + 24 * 60 * MINUTE)).toBeUndefined();
  });

  it('an installed machine booting its disk every day', () => {
    const t = new Timeline();
    for (let day = 0; day < 5; day++)
      t.dora(BIOS).tftp('undionly.kpxe').dora(IPXE_BIOS).ipxeScript('localboot').wait(86_400_000);
    expect(diagnose(machine('installed'), t.events, t.now)).toBeUndefined();
  });

  it('no events at all', () => {
    expect(diagnose(machine('discovered'), [], T0)).toBeUndefined();
  });
});

describe('diagnose: TFTP timeout at block N', () => {
  it('names the file, the block that was not acknowledged, of how many, and the options', () => {
    const t = new Timeline()
      .dora(BIOS)
      .tftp('undionly.kpxe', { kind: 'timeout' }, { size: 70_000, blocks: 36, retransmits: 5 });
    const found = diagnose(machine('ready'), t.events, t.now);
    expect(found?.code).toBe('tftp-timeout');
    expect(found?.summary).toContain('TFTP timeout at block 37 of 48 sending undionly.kpxe');
    expect(found?.summary).toContain('blksize 1468, windowsize 4, 5 retransmits');
    expect(found?.eventIds).toEqual([t.events.at(-1)?.id]);
    expect(found?.since).toBe(t.events.at(-1)?.at);
  });

  it('is over once a later fetch succeeds (the retry got through)', () => {
    const t = new Timeline()
      .dora(BIOS)
      .tftp('undionly.kpxe', { kind: 'timeout' }, { blocks: 3 })
      .dora(BIOS)
      .tftp('undionly.kpxe');
    expect(diagnose(machine('ready'), t.events, t.now)?.code).not.toBe('tftp-timeout');
  });

  it('still stands while the machine only retries DHCP', () => {
    const t = new Timeline().dora(BIOS).tftp('undionly.kpxe', { kind: 'timeout' }, { blocks: 0 }).dora(BIOS);
    expect(diagnose(machine('ready'), t.events, t.now)?.summary).toContain('at block 1 of');
  });

  it('is not said of a transfer the client refused or that ended in a TFTP error', () => {
    const t = new Timeline()
      .dora(BIOS)
      .tftp('undionly.kpxe', { kind: 'error', from: 'client', code: 0, message: 'x' });
    expect(diagnose(machine('ready'), t.events, t.now)).toBeUndefined();
  });
});

describe('diagnose: wrong-architecture loader', () => {
  it('a BIOS loader for a UEFI x64 client (option 93 arch 7)', () => {
    const t = new Timeline()
      .dora({ firmware: 'uefi-x64', arch: 7, bootFile: 'undionly.kpxe' })
      .tftp('undionly.kpxe');
    const found = diagnose(machine('ready'), t.events, t.now);
    expect(found?.code).toBe('wrong-arch-loader');
    expect(found?.summary).toContain('undionly.kpxe is built for BIOS');
    expect(found?.summary).toContain('firmware is UEFI x64 (option 93 arch 7)');
  });

  it('an x64 EFI loader for an arm64 client, over UEFI HTTP boot', () => {
    const t = new Timeline()
      .dora({ firmware: 'uefi-http-arm64', arch: 19, bootFile: 'http://192.0.2.1:8080/boot/snponly.efi' })
      .http('snponly.efi');
    expect(diagnose(machine('ready'), t.events, t.now)?.summary).toContain(
      "snponly.efi is built for UEFI x64, but the machine's firmware is UEFI arm64 (option 93 arch 19)",
    );
  });

  it('not when the loader fits, nor when a name does not tell its architecture', () => {
    const fits = new Timeline()
      .dora({ firmware: 'uefi-x64', arch: 7, bootFile: 'snponly.efi' })
      .tftp('snponly.efi');
    expect(diagnose(machine('ready'), fits.events, fits.now)).toBeUndefined();
    const unknown = new Timeline()
      .dora({ firmware: 'uefi-x64', arch: 7, bootFile: 'loader.efi' })
      .tftp('loader.efi');
    expect(diagnose(machine('ready'), unknown.events, unknown.now)).toBeUndefined();
  });

  it('not once the boot went on to a kernel (whatever the name says, it ran)', () => {
    const t = new Timeline()
      .dora({ firmware: 'uefi-x64', arch: 7, bootFile: 'pxelinux.0' })
      .tftp('pxelinux.0')
      .tftp('pxelinux.cfg/default')
      .tftp('images/debian-12-amd64/linux');
    expect(diagnose(machine('ready'), t.events, t.now)).toBeUndefined();
  });

  it.each([
    ['pxelinux.0', 'bios'],
    ['undionly.kpxe', 'bios'],
    ['ldlinux.c32', 'bios'],
    ['snponly.efi', 'uefi-x64'],
    ['ipxe.efi', 'uefi-x64'],
    ['shimx64.efi.signed', 'uefi-x64'],
    ['grub/x86_64-efi/core.efi', 'uefi-x64'],
    ['bootnetaa64.efi', 'uefi-arm64'],
    ['arm64/snponly.efi', 'uefi-arm64'],
    ['grubia32.efi', 'uefi-ia32'],
    ['loader.efi', undefined],
    ['images/debian-12-amd64/linux', undefined],
  ])('loaderFamily(%s) is %s', (file, family) => {
    expect(loaderFamily(file)).toBe(family);
  });
});

describe('diagnose: chainload loop', () => {
  it('the same loader loaded again and again, nothing after it', () => {
    // iPXE asks DHCP again and a server that does not recognise it (no user class check) hands it iPXE again.
    const t = new Timeline();
    for (let i = 0; i < 4; i++) t.dora(i === 0 ? BIOS : { ...BIOS, ipxe: true }).tftp('undionly.kpxe');
    const found = diagnose(machine('queued', {}), t.events, t.now);
    expect(found?.code).toBe('chainload-loop');
    expect(found?.summary).toContain('undionly.kpxe was loaded 4 times and the boot went no further');
    expect(found?.eventIds).toHaveLength(4);
    expect(found?.since).toBe(t.events.find((e) => e.source === 'tftp')?.at);
  });

  it(`needs ${String(DEFAULT_DIAGNOSIS_LIMITS.loopCount)} loads: two are a firmware retry`, () => {
    const t = new Timeline().dora(BIOS).tftp('undionly.kpxe').dora(BIOS).tftp('undionly.kpxe');
    expect(diagnose(machine('ready'), t.events, t.now)).toBeUndefined();
  });

  it('is counted from the last time the boot got further, so daily boots never add up to a loop', () => {
    const t = new Timeline();
    for (let day = 0; day < 3; day++) t.dora(BIOS).tftp('undionly.kpxe').ipxeScript('localboot');
    t.dora(BIOS).tftp('undionly.kpxe').dora(BIOS).tftp('undionly.kpxe');
    expect(diagnose(machine('installed'), t.events, t.now)).toBeUndefined();
  });
});

describe('diagnose: answer file never fetched', () => {
  it(`marked, kernel and initrd loaded, no answer file ${String(DEFAULT_DIAGNOSIS_LIMITS.answerWaitMs / MINUTE)} min later`, () => {
    const t = installerBooted();
    const m = machine('queued', { at: T0 });
    expect(diagnose(m, t.events, t.now + 9 * MINUTE)).toBeUndefined();
    const found = diagnose(m, t.events, t.now + 12 * MINUTE);
    expect(found?.code).toBe('answer-never-fetched');
    expect(found?.summary).toContain("the installer's kernel and initrd were loaded 12 min ago");
    expect(found?.since).toBe(t.events.at(-1)?.at);
    expect(found?.eventIds).toHaveLength(2);
  });

  it('not once the answer file was served', () => {
    const t = installerBooted().answer();
    expect(diagnose(machine('installing', { at: T0 }), t.events, t.now + 30 * MINUTE)).toBeUndefined();
  });

  it('not before the kernel was loaded (the boot is stuck elsewhere, or not started)', () => {
    const t = new Timeline().marked().dora(BIOS).tftp('undionly.kpxe').dora(IPXE_BIOS).ipxeScript();
    expect(diagnose(machine('queued', { at: T0 }), t.events, t.now + 60 * MINUTE)).toBeUndefined();
  });

  it('reads only the boot after the mark: an earlier install’s kernel does not count', () => {
    const earlier = installerBooted().answer().done().wait(86_400_000);
    const t = new Timeline(earlier.now);
    t.events.push(...earlier.events);
    t.marked().dora(BIOS);
    const m = machine('queued', { at: t.events.at(-5)?.at ?? 0 });
    expect(diagnose(m, t.events, t.now + 60 * MINUTE)).toBeUndefined();
  });

  it('not when the kernel download failed (404): that is no installer running', () => {
    const t = new Timeline()
      .marked()
      .dora(IPXE_BIOS)
      .ipxeScript()
      .http('images/x/linux', 404)
      .http('images/x/initrd.gz', 404);
    expect(diagnose(machine('queued', { at: T0 }), t.events, t.now + 60 * MINUTE)).toBeUndefined();
  });
});

describe('diagnose: callback never received', () => {
  it(`installing, answer fetched, no done or failed within ${String(DEFAULT_DIAGNOSIS_LIMITS.callbackWaitMs / MINUTE)} min`, () => {
    const t = installerBooted().answer();
    const m = machine('installing', { at: T0 });
    expect(diagnose(m, t.events, t.now + 80 * MINUTE)).toBeUndefined();
    const found = diagnose(m, t.events, t.now + 95 * MINUTE);
    expect(found?.code).toBe('callback-never-received');
    expect(found?.summary).toContain('the answer file was fetched 1 h 35 min ago');
    expect(found?.summary).toContain('mark expires at 2026-11-27T18:00:00.000Z');
  });

  it('counts from the latest progress report: a slow install that reports is alive', () => {
    const t = installerBooted()
      .answer()
      .wait(80 * MINUTE)
      .progress();
    const m = machine('installing', { at: T0 });
    expect(diagnose(m, t.events, t.now + 30 * MINUTE)).toBeUndefined();
    expect(diagnose(m, t.events, t.now + 91 * MINUTE)?.summary).toContain(
      'its last progress report 1 h 31 min ago',
    );
  });

  it('not after the done callback (the machine is installed)', () => {
    const t = installerBooted().answer().done();
    expect(diagnose(machine('installed'), t.events, t.now + 600 * MINUTE)).toBeUndefined();
  });
});

describe('duration', () => {
  it.each([
    [0, '0 s'],
    [44_600, '45 s'],
    [12 * MINUTE, '12 min'],
    [60 * MINUTE, '1 h'],
    [185 * MINUTE, '3 h 5 min'],
  ])('%i ms is %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
