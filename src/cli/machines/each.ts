// How a command acts on many machines over the API: the first alone (a token that may not do this is refused
// once, not by every machine at once), then a few at a time, each outcome reported in the selection's order.

export type Outcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export interface EachResult {
  /** How many items were acted on (all of them unless a fatal error stopped it). */
  readonly attempted: number;
  /** The error that stopped it (isFatal), reported after every item that ended. */
  readonly fatal?: Error;
}

export async function eachInOrder<T, R>(
  items: readonly T[],
  options: { readonly width: number; readonly isFatal: (error: unknown) => boolean },
  act: (item: T) => Promise<R>,
  report: (item: T, outcome: Outcome<R>) => void,
): Promise<EachResult> {
  const outcomes: (Outcome<R> | undefined)[] = [];
  let next = 0;
  let reported = 0;
  let fatal: { error: Error } | undefined;
  const flush = () => {
    for (let outcome = outcomes[reported]; outcome !== undefined; outcome = outcomes[reported]) {
      report(items[reported] as T, outcome);
      reported++;
    }
  };
  const step = async () => {
    const i = next++;
    try {
      outcomes[i] = { ok: true, value: await act(items[i] as T) };
    } catch (error) {
      outcomes[i] = { ok: false, error };
      if (options.isFatal(error)) {
        fatal ??= {
          error: error instanceof Error ? error : new Error('the change failed', { cause: error }),
        };
      }
    }
    flush();
  };
  const worker = async () => {
    while (fatal === undefined && next < items.length) await step();
  };
  if (items.length > 0) await step();
  await Promise.all(Array.from({ length: Math.min(options.width, items.length) }, worker));
  return { attempted: next, ...(fatal === undefined ? {} : { fatal: fatal.error }) };
}
