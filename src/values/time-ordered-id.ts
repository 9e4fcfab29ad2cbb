// Ids that sort by creation time: UUID version 7 (RFC 9562 §5.7), for the inventory's machine ids.
//
// Why not random (version 4) ids: a machine id is the primary key of `machines` and the leading column of the
// indexes that file every event and captured packet under its machine. Random keys put each new row on a random
// page of each of those B-trees, so a commit of a batch of new machines dirtied about one page per machine and
// index, every one written to the WAL and synced; time-ordered keys append to the same few rightmost pages.
// Measured with the DHCP bench, the commit before and this one side by side: 1.2x the rate (bench/README.md,
// "Seventh round").
import { randomFillSync } from 'node:crypto';
import { uuidFromBytes } from './uuid.js';

/** 2^48 ms: the 48-bit unix_ts_ms field (RFC 9562 §5.7) runs out in the year 10889. */
const MAX_TIMESTAMP = 2 ** 48 - 1;
/** rand_a's 12 bits, used as the counter of RFC 9562 §6.2 method 1 ("fixed bit-length dedicated counter"). */
const COUNTER_LIMIT = 0x1000;

export type RandomFill = (bytes: Uint8Array) => void;

const defaultRandom: RandomFill = (bytes) => {
  randomFillSync(bytes);
};

/**
 * A source of UUIDv7 strings in lower case, each greater (as text, and so as the index compares them) than the one
 * before, whatever the clock does short of the year 10889: within one millisecond, or when the clock steps back, the timestamp of the last
 * id is kept and the 12-bit counter counts on; when the counter runs out, the timestamp moves one millisecond on
 * (RFC 9562 §6.2). So a clock set far ahead once holds the ids at that time until the process restarts: still
 * unique and ordered, only no longer telling the time. The other 62 bits are random, so ids made by several
 * servers on one database are not expected to collide. At the end of the 48-bit timestamp (the year 10889) the
 * order is no longer kept: the timestamp cannot move on, and the counter starts again.
 */
export function timeOrderedIds(clock: () => number, random: RandomFill = defaultRandom): () => string {
  let lastMs = -1;
  let counter = 0;
  const bytes = new Uint8Array(16);
  return () => {
    const now = Math.min(Math.max(Math.trunc(clock()), 0), MAX_TIMESTAMP);
    if (now > lastMs) {
      lastMs = now;
      counter = 0;
    } else if (++counter === COUNTER_LIMIT) {
      lastMs = Math.min(lastMs + 1, MAX_TIMESTAMP);
      counter = 0;
    }
    random(bytes);
    // unix_ts_ms, big-endian (48 bits do not fit a 32-bit shift: split at 2^32).
    const high = Math.floor(lastMs / 2 ** 32);
    const low = lastMs >>> 0;
    bytes[0] = high >>> 8;
    bytes[1] = high & 0xff;
    bytes[2] = low >>> 24;
    bytes[3] = (low >>> 16) & 0xff;
    bytes[4] = (low >>> 8) & 0xff;
    bytes[5] = low & 0xff;
    bytes[6] = 0x70 | (counter >>> 8); // version 7, then the counter's high 4 bits
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // variant 10 (RFC 9562 §4.1)
    return uuidFromBytes(bytes, 'network');
  };
}
