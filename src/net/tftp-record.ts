import type { EffectiveOptions, IgnoredOption, TftpOption, TransferMode } from '../protocol/tftp/index.js';
import type { TftpClient, TftpRefusal } from './tftp-file.js';

/** Why the server itself ended a transfer early. */
export type TftpAbortReason = 'stopping' | 'socket-error' | 'read-error' | 'open-timeout';

export type TransferResult =
  /** The client acknowledged the last block. */
  | { readonly kind: 'ok' }
  /** The client answered the OACK with ERROR 8: EDK2's tsize probe, a normal end (protocol-digest §4.4). */
  | { readonly kind: 'probe' }
  /** We refused the request (`reason` says why), or the client sent an ERROR (`message`, escaped for logs). */
  | { readonly kind: 'error'; readonly from: 'server'; readonly code: number; readonly reason: TftpRefusal }
  | {
      readonly kind: 'error';
      readonly from: 'client';
      /** Undefined for an ERROR too short to carry one (catalogue T17). */
      readonly code: number | undefined;
      readonly message: string;
    }
  /** The client stopped answering: retries or the stall limit ran out. */
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted'; readonly reason: TftpAbortReason };

/**
 * One read request from start to end, handed to `onTransfer` exactly once. The composition root turns it into the
 * machine's timeline event (design.md §1.6); net/ never imports the store.
 */
export interface TransferRecord {
  /** The file name as the RRQ carried it: one character per octet, untrusted (escape it before display). */
  readonly file: string;
  /** The canonical path it resolved to, when it named a file. */
  readonly path: string | undefined;
  readonly origin: 'virtual' | 'root' | undefined;
  readonly client: TftpClient;
  /** Our address and port the RRQ arrived on. */
  readonly server: TftpClient;
  readonly mode: TransferMode;
  readonly options: {
    readonly requested: readonly TftpOption[];
    /** What the OACK carried; empty when the transfer began with DATA 1 (or never began). */
    readonly accepted: readonly TftpOption[];
    readonly ignored: readonly IgnoredOption[];
    /** The values the transfer ran with; undefined when it never began. */
    readonly effective: EffectiveOptions | undefined;
  };
  /** Octets the transfer would send in full (netascii: after conversion); undefined without a file. */
  readonly size: number | undefined;
  /** Octets the client acknowledged. */
  readonly bytes: number;
  /** Blocks the client acknowledged. */
  readonly blocks: number;
  /** DATA blocks and OACKs sent again. */
  readonly retransmits: number;
  readonly duplicateAcks: number;
  /** Wall-clock ms when the RRQ arrived. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly result: TransferResult;
}

/** The metric label of a result. */
export function resultLabel(result: TransferResult): TransferResult['kind'] {
  return result.kind;
}
