import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The native addon of native/ (plain N-API C, built by `npm run build`): SO_BINDTODEVICE for UDP sockets, which
 * Node's dgram does not offer (nodejs/node#59670; docs/dhcp-interfaces.md). Linux only.
 */
export interface NetDeviceAddon {
  /**
   * A new non-blocking AF_INET UDP socket (without SO_REUSEADDR: docs/dhcp-interfaces.md), pinned to
   * `interfaceName` with SO_BINDTODEVICE and then bound to 0.0.0.0:`port`; returns its file descriptor, for `dgram.Socket#bind({ fd })`. Pinning before
   * bind(2) means no datagram from another interface is ever queued on it. Throws an Error whose `code` is the
   * errno name (ENODEV: no such interface; EACCES: port < 1024 without CAP_NET_BIND_SERVICE). `reuseAddress`
   * sets SO_REUSEADDR before bind: only for the DHCP probe's client port, shared with a DHCP client on the host.
   */
  openUdpSocket(interfaceName: string, port: number, reuseAddress?: boolean): number;
  /** Pins an existing socket (changing an existing pin needs CAP_NET_RAW). Throws with the errno text. */
  bindToDevice(fd: number, interfaceName: string): void;
  /** The device a socket is pinned to, read back with getsockopt(2) ('' when none; ENXIO once it is deleted). */
  boundDevice(fd: number): string;
}

export class NativeAddonError extends Error {
  override readonly name = 'NativeAddonError';
}

/** Where node-gyp puts the addon: native/build/Release, from src/net/ and from dist/net/ alike. */
export const NETDEV_ADDON_PATH = fileURLToPath(
  new URL('../../native/build/Release/fleetboot_netdev.node', import.meta.url),
);

let cached: NetDeviceAddon | undefined;

/** The addon, loaded on first use so that commands which open no DHCP socket never need it. */
export function netDeviceAddon(): NetDeviceAddon {
  cached ??= loadNetDeviceAddon(NETDEV_ADDON_PATH);
  return cached;
}

export function loadNetDeviceAddon(path: string): NetDeviceAddon {
  const names: readonly (keyof NetDeviceAddon)[] = ['openUdpSocket', 'bindToDevice', 'boundDevice'];
  // The functions were checked by name, and their C signatures are the ones the interface documents.
  return loadNativeAddon(
    path,
    'DHCP interface binding (SO_BINDTODEVICE)',
    "fleetboot's netdev addon",
    names,
  ) as NetDeviceAddon;
}

/**
 * Loads one of native/'s addons (built by `npm run build`) and checks that it has the functions named:
 * a missing or stale build fails here with what to do, not later with "x is not a function".
 */
export function loadNativeAddon(
  path: string,
  purpose: string,
  what: string,
  functions: readonly string[],
): object {
  if (process.platform !== 'linux') {
    throw new NativeAddonError(`${purpose} needs Linux; this is ${process.platform}`);
  }
  if (!existsSync(path)) {
    throw new NativeAddonError(
      `the native addon ${path} is missing: run \`npm run build\` (it compiles native/ with node-gyp; ` +
        'needs python3, make and g++)',
    );
  }
  const loaded: unknown = createRequire(import.meta.url)(path);
  if (typeof loaded !== 'object' || loaded === null) {
    throw new NativeAddonError(`${path} is not ${what}: run \`npm run build\` again`);
  }
  const record = loaded as Record<string, unknown>;
  if (!functions.every((name) => typeof record[name] === 'function')) {
    throw new NativeAddonError(`${path} is not ${what}: run \`npm run build\` again`);
  }
  return record;
}
