import { describe, expect, it } from 'vitest';
import { literalLookup } from '../../src/net/udp-literal-lookup.js';

type Lookup = ReturnType<typeof literalLookup>;

/** Calls the lookup; says whether it answered before returning, and what it answered. */
function ask(
  lookup: Lookup,
  hostname: string,
): { readonly atOnce: boolean; readonly answer: Promise<unknown[]> } {
  let answered = false;
  const answer = new Promise<unknown[]>((resolve) => {
    lookup(hostname, { family: 4 }, (error, address, family) => {
      answered = true;
      resolve([error, address, family]);
    });
  });
  return { atOnce: answered, answer };
}

describe('literal lookup for UDP sends', () => {
  it('answers an address literal of its family before send() goes on, with no deferred call', async () => {
    const lookup = literalLookup('udp4');
    for (const literal of ['192.0.2.7', '192.0.2.7', '255.255.255.255']) {
      const { atOnce, answer } = ask(lookup, literal);
      expect(atOnce).toBe(true);
      await expect(answer).resolves.toEqual([null, literal, 4]);
    }
  });

  it('hands a name, or a literal of the other family, to dns.lookup', async () => {
    const lookup = literalLookup('udp4');
    const name = ask(lookup, 'localhost');
    expect(name.atOnce).toBe(false);
    await expect(name.answer).resolves.toEqual([null, '127.0.0.1', 4]);
    expect(ask(lookup, '::1').atOnce).toBe(false);
  });
});
