// Row types of the tables, as Kysely sees them. Private to src/store: the interfaces in types.ts speak the domain.
// Times are integers (ms since the epoch) in both dialects, so both return the same domain values; PostgreSQL's
// int8 is parsed to a number by the pool (postgres.ts).
import type { Generated } from 'kysely';

export interface MachinesTable {
  id: string;
  uuid: string | null;
  arch: number | null;
  vendor_class: string | null;
  hostname: string | null;
  reserved_ip: string | null;
  profile: string | null;
  state: string;
  mark_by: string | null;
  mark_at: number | null;
  mark_expires_at: number | null;
  mark_token_hash: string | null;
  /** 0003: the state the mark was made from (InstallMark.from); null on older marks. */
  mark_from: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface MachineInterfacesTable {
  mac: string;
  machine_id: string;
  /** Order of the MACs in Machine.macs. */
  position: number;
}

export interface MachineLabelsTable {
  machine_id: string;
  key: string;
  value: string;
}

export interface LeasesTable {
  address: string;
  /** The address as an unsigned 32-bit integer, for address order (text order puts .10 before .9). */
  address_num: number;
  subnet: string;
  client_id: string;
  mac: string;
  state: string;
  expires_at: number;
  server_id: string;
  hostname: string | null;
  relay_agent_info: string | null;
  updated_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  at: number;
  machine_id: string | null;
  mac: string | null;
  source: string;
  kind: string;
  /** JSON text: stored as TEXT in both dialects so it loads back byte for byte (JSONB reorders keys). */
  details: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  remote_address: string | null;
  outcome: string;
  details: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  /** Lower-case hex SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

export interface CapturedPacketsTable {
  id: Generated<number>;
  machine_id: string;
  at: number;
  mac: string;
  protocol: string;
  direction: string;
  source_address: string;
  source_port: number;
  destination_address: string;
  destination_port: number;
  /** BLOB (SQLite) or bytea (PostgreSQL); both drivers read it back as a Buffer. */
  payload: Uint8Array;
  /** The payload's length on the wire, at least the octets kept. */
  payload_length: number;
}

export interface Database {
  machines: MachinesTable;
  machine_interfaces: MachineInterfacesTable;
  machine_labels: MachineLabelsTable;
  leases: LeasesTable;
  events: EventsTable;
  audit_log: AuditLogTable;
  api_tokens: ApiTokensTable;
  captured_packets: CapturedPacketsTable;
}
