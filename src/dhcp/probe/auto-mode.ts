import type { SegmentProbe } from './segment.js';

/** What `dhcp.mode: auto` became at start, and the sentence that says why (logged at info). */
export interface AutoModeDecision {
  readonly mode: 'full' | 'proxy';
  readonly reason: string;
}

/**
 * `dhcp.mode: auto` (issue 3 item 3): proxyDHCP if another DHCP server leases addresses on a served segment, full
 * otherwise. One process serves one mode, so a server on any of the interfaces makes it proxy on all of them: two
 * servers leasing on one segment hand out conflicting addresses, while a proxy where no server is only leaves
 * clients without an address, which the log line says and the operator fixes with `dhcp.mode: full`.
 */
export function decideAutoMode(probes: readonly SegmentProbe[]): AutoModeDecision {
  const found = probes.filter((p) => p.servers.length > 0);
  if (found.length === 0) {
    const where = probes.map((p) => `${p.interfaceName} (${describeListen(p)})`).join(', ');
    return { mode: 'full', reason: `no other DHCP server answered on ${where}` };
  }
  const servers = found.flatMap((p) =>
    p.servers.map((s) => {
      const how = s.answeredProbe
        ? `answered our DISCOVER with ${s.offered}`
        : `was heard leasing ${s.offered}`;
      const via = s.source === s.server ? '' : ` via ${s.source}`;
      return `${s.server}${via} on ${p.interfaceName} ${how}`;
    }),
  );
  const silent = probes.filter((p) => p.servers.length === 0).map((p) => p.interfaceName);
  const alsoSilent =
    silent.length === 0
      ? ''
      : `; ${silent.join(', ')} had none but gets proxy too (one mode per process: set dhcp.mode full to lease there)`;
  return {
    mode: 'proxy',
    reason: `another DHCP server leases addresses here: ${servers.join('; ')}${alsoSilent}`,
  };
}

function describeListen(probe: SegmentProbe): string {
  const { sent, elapsedMs } = probe.transport;
  return `${sent} DISCOVER${sent === 1 ? '' : 's'}, ${(elapsedMs / 1000).toFixed(1)} s`;
}
