// The native addon (native/bind_device.c), on the loopback interface of the test's own namespace, ephemeral ports.
import { closeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNetDeviceAddon, NativeAddonError, netDeviceAddon } from '../../src/net/udp-netdev-addon.js';
import { planLabSuite } from '../support/lab.js';

const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
});

function open(name: string): number {
  const fd = netDeviceAddon().openUdpSocket(name, 0);
  fds.push(fd);
  return fd;
}

describe('the netdev addon', () => {
  it('opens a UDP socket pinned to an interface, and reads the pin back with getsockopt', () => {
    const fd = open('lo');
    expect(fd).toBeGreaterThan(2);
    expect(netDeviceAddon().boundDevice(fd)).toBe('lo');
  });

  it('refuses an interface that does not exist, saying so (ENODEV)', () => {
    expect(() => netDeviceAddon().openUdpSocket('fbnosuch0', 0)).toThrow(
      expect.objectContaining({
        code: 'ENODEV',
        message: 'SO_BINDTODEVICE fbnosuch0: No such device (ENODEV)',
      }),
    );
  });

  it('bindToDevice on a non-existent interface throws ENODEV and leaves the socket as it was', () => {
    const fd = open('lo');
    expect(() => {
      netDeviceAddon().bindToDevice(fd, 'fbnosuch0');
    }).toThrow(/SO_BINDTODEVICE fbnosuch0: No such device/);
    expect(netDeviceAddon().boundDevice(fd)).toBe('lo');
  });

  // Changing a pin, even to the same device, needs CAP_NET_RAW (Linux 5.7+ lets anyone set the first one only).
  // Skipped only where the lab would be (planLabSuite): as a non-root developer; under CI it runs, and fails there.
  const asRoot = process.getuid?.() === 0 || planLabSuite('not root', process.env).kind !== 'skip';
  it.skipIf(!asRoot)('bindToDevice re-pins an existing socket, as root', () => {
    const fd = open('lo');
    netDeviceAddon().bindToDevice(fd, 'lo');
    expect(netDeviceAddon().boundDevice(fd)).toBe('lo');
  });

  it.each([
    ['an empty name', ''],
    ['16 bytes (IFNAMSIZ is 16 with the NUL)', 'x'.repeat(16)],
    ['a NUL inside', 'lo\u0000x'],
  ])('refuses %s before any system call', (_, name) => {
    expect(() => netDeviceAddon().openUdpSocket(name, 0)).toThrow(RangeError);
  });

  it.each([
    ['a port above 65535', () => netDeviceAddon().openUdpSocket('lo', 65_536)],
    ['a fractional port', () => netDeviceAddon().openUdpSocket('lo', 6.7)],
    ['a negative descriptor', () => netDeviceAddon().boundDevice(-1)],
  ])('refuses %s', (_, call) => {
    expect(call).toThrow(RangeError);
  });

  it('reports a bad descriptor with the errno text', () => {
    expect(() => netDeviceAddon().boundDevice(999_999)).toThrow(
      /getsockopt\(SO_BINDTODEVICE\) on fd 999999: Bad file descriptor \(EBADF\)/,
    );
  });

  it('says to run the build when the compiled addon is missing', () => {
    expect(() => loadNetDeviceAddon('/nonexistent/fleetboot_netdev.node')).toThrow(NativeAddonError);
    expect(() => loadNetDeviceAddon('/nonexistent/fleetboot_netdev.node')).toThrow(/run `npm run build`/);
  });
});
