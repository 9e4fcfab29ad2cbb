// Where a bench loop's main thread allocates (bench/README.md, "Sixth round"): V8's sampling heap profiler through
// the inspector, with the objects later collected by GC included (the default leaves them out, and what a
// request/reply path allocates is almost all short-lived). The report groups the sampled bytes by the nearest
// frame in src/ (the code that asked for them, inlined helpers included) and divides by the exchanges done.
import { Session } from 'node:inspector/promises';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}
interface ProfileNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

export class HeapSampling {
  private readonly session = new Session();

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post('HeapProfiler.enable');
    await this.session.post('HeapProfiler.startSampling', {
      samplingInterval: 2048,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** Stops, and returns the lines of the report: KB per `per` (exchanges) in all, then the `top` largest groups. */
  async stop(per: number, top = 25): Promise<string[]> {
    const { profile } = (await this.session.post('HeapProfiler.stopSampling')) as {
      profile: { head: ProfileNode };
    };
    this.session.disconnect();
    const groups = new Map<string, number>();
    let total = 0;
    const walk = (node: ProfileNode, nearest: string): void => {
      const url = node.callFrame.url;
      const at = url.indexOf('/src/');
      const here = at >= 0 ? `${node.callFrame.functionName || '(anonymous)'} ${url.slice(at + 1)}` : nearest;
      total += node.selfSize;
      if (node.selfSize > 0) groups.set(here, (groups.get(here) ?? 0) + node.selfSize);
      for (const child of node.children) walk(child, here);
    };
    walk(profile.head, '(outside src: the loop, Node, V8)');
    const kb = (bytes: number) => (bytes / per / 1024).toFixed(2).padStart(7);
    return [
      `${kb(total)} KB allocated per exchange in all`,
      ...[...groups]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([where, bytes]) => `${kb(bytes)} KB  ${where}`),
    ];
  }
}
