import type { Mac } from '../values/mac.js';
import type { JsonObject } from './json.js';
import type { MachineId } from './machine.js';
import type { EpochMs } from './time.js';

/** Where an event was observed. `lifecycle` is the install state machine itself. */
export const EVENT_SOURCES = ['dhcp', 'tftp', 'http', 'api', 'installer', 'lifecycle'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * One entry of a machine's timeline (design.md §1.6: everything is an event). Append-only. A contact from a MAC
 * not yet in the inventory has only `mac`; once the machine is known, events carry both.
 */
export interface MachineEvent {
  /** Increases in append order; readers follow the log with "after id". */
  readonly id: number;
  readonly at: EpochMs;
  readonly machineId: MachineId | null;
  readonly mac: Mac | null;
  readonly source: EventSource;
  /** What happened, in the vocabulary of its protocol: `DHCPDISCOVER`, `TFTP RRQ`, `answer-file served`. */
  readonly kind: string;
  readonly details: JsonObject;
}

/** An event to append: the log assigns `id`, and `at` defaults to the store's clock. */
export interface NewMachineEvent {
  readonly at?: EpochMs;
  readonly machineId?: MachineId | null;
  readonly mac?: Mac | null;
  readonly source: EventSource;
  readonly kind: string;
  readonly details?: JsonObject;
}
