// The TypeBox schemas of every request and response of /api/v1: fastify validates requests and serialises
// responses with them (a response property a schema does not name is never sent, so a secret added to a domain
// type later cannot leak through a route by accident), and openapi.ts publishes them.
import Type, { type Static, type TSchema } from 'typebox';
import { API_ROLES, TOKEN_NAME_PATTERN } from '../inventory/api-token.js';
import { AUDIT_OUTCOMES } from '../inventory/audit.js';
import { DIAGNOSIS_CODES } from '../inventory/diagnosis.js';
import { EVENT_SOURCES } from '../inventory/event.js';
import { LEASE_STATES } from '../inventory/lease.js';
import { MACHINE_STATES, type MachineState } from '../inventory/machine.js';
import { OS_ARCHES, OS_FAMILIES } from '../inventory/os-image.js';
import { UNMARKED_ACTIONS } from '../inventory/profile.js';
import { LABEL_KEY_PATTERN, LABEL_VALUE_FORBIDDEN, MAX_LABEL_VALUE } from '../values/label.js';
import { MACHINE_SORT_KEYS, MAX_LOG_PAGE, MAX_PAGE_SIZE } from '../store/types.js';
import { API_ERRORS } from './errors.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const EpochMsSchema = Type.Integer({ minimum: 0, description: 'Milliseconds since the Unix epoch.' });
const MacSchema = Type.String({ pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$', description: 'Canonical MAC.' });
const Ipv4Schema = Type.String({ format: 'ipv4' });
export const MachineIdSchema = Type.String({ format: 'uuid', description: 'The inventory id of a machine.' });

/**
 * Label keys and values as values/label.ts defines them for the CLI and import files, so a label set anywhere can
 * be read, filtered and set again here. Values are data wherever they are used: an answer template reads them as
 * variables and never evaluates them (reliability-catalogue H06), and they stay on one line (H07).
 */
const LABEL_KEY = LABEL_KEY_PATTERN.source.slice(1, -1);
const LABEL_VALUE = `[^${LABEL_VALUE_FORBIDDEN.source.slice(1, -1)}]{0,${MAX_LABEL_VALUE}}`;
export const MAX_LABELS = 64;

export const LabelsSchema = Type.Record(
  Type.String({ pattern: `^${LABEL_KEY}$` }),
  Type.String({ pattern: `^${LABEL_VALUE}$` }),
  // Without additionalProperties false, a key that fails the pattern would simply not be checked.
  {
    maxProperties: MAX_LABELS,
    additionalProperties: false,
    description: 'Operator labels, e.g. `rack: r12`.',
  },
);

/** The install mark without its token hash: who marked the machine, when, until when. */
const InstallMarkSchema = Type.Object({ by: Type.String(), at: EpochMsSchema, expiresAt: EpochMsSchema });

export const MachineSchema = Type.Object({
  id: MachineIdSchema,
  macs: Type.Array(MacSchema),
  uuid: Nullable(Type.String()),
  arch: Nullable(Type.Integer()),
  vendorClass: Nullable(Type.String()),
  hostname: Nullable(Type.String()),
  labels: LabelsSchema,
  reservedIp: Nullable(Ipv4Schema),
  profile: Nullable(Type.String()),
  state: Type.Enum([...MACHINE_STATES]),
  installMark: Nullable(InstallMarkSchema),
  version: Type.Integer({ minimum: 1 }),
  createdAt: EpochMsSchema,
  updatedAt: EpochMsSchema,
});

/** The likely cause of a stalled boot (inventory/diagnosis.ts), named from the machine's events and state. */
export const DiagnosisSchema = Type.Object({
  code: Type.Enum([...DIAGNOSIS_CODES]),
  summary: Type.String({ description: 'One line: what happened and what to look at.' }),
  since: EpochMsSchema,
  eventIds: Type.Array(Type.Integer({ minimum: 1 }), { description: 'The events that show it.' }),
});

/** One machine as GET /machines/:id shows it: with its diagnosis, null while nothing looks stuck. */
export const MachineDetailSchema = Type.Object({
  ...MachineSchema.properties,
  diagnosis: Nullable(DiagnosisSchema),
});

export const MachinePageSchema = Type.Object({
  items: Type.Array(MachineSchema),
  nextCursor: Nullable(Type.String()),
  total: Type.Integer({ minimum: 0 }),
});

const LabelFilterSchema = Type.Array(Type.String({ pattern: `^${LABEL_KEY}=${LABEL_VALUE}$` }), {
  description: '`key=value`; every one given must match. Repeat for several.',
});

export const MachineListQuerySchema = Type.Object(
  {
    state: Type.Optional(
      Type.Array(Type.Enum([...MACHINE_STATES]), {
        description: 'Any of these states; repeat the parameter for several.',
      }),
    ),
    label: Type.Optional(LabelFilterSchema),
    q: Type.Optional(
      Type.String({
        maxLength: 128,
        description: 'Substring of hostname, MAC, UUID, reserved IP, profile or vendor class.',
      }),
    ),
    sort: Type.Optional(Type.Enum([...MACHINE_SORT_KEYS])),
    order: Type.Optional(Type.Enum(['asc', 'desc'])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
    cursor: Type.Optional(
      Type.String({ maxLength: 1024, description: '`nextCursor` of the previous page.' }),
    ),
  },
  { additionalProperties: false },
);

export const MachineParamsSchema = Type.Object({ id: MachineIdSchema }, { additionalProperties: false });

export const LabelsBodySchema = Type.Object(
  {
    labels: LabelsSchema,
    version: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'The version you read; refused if the machine changed since.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const JsonObjectSchema = Type.Record(Type.String(), Type.Unknown());

export const EventSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  at: EpochMsSchema,
  machineId: Nullable(MachineIdSchema),
  mac: Nullable(MacSchema),
  source: Type.Enum([...EVENT_SOURCES]),
  kind: Type.String(),
  details: JsonObjectSchema,
});

const logRange = {
  since: Type.Optional(EpochMsSchema),
  until: Type.Optional(EpochMsSchema),
  afterId: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Only entries after this id: how a follower resumes.' }),
  ),
  beforeId: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LOG_PAGE })),
  order: Type.Optional(Type.Enum(['asc', 'desc'])),
};

export const EventQuerySchema = Type.Object(
  { ...logRange, machineId: Type.Optional(MachineIdSchema), mac: Type.Optional(MacSchema) },
  { additionalProperties: false },
);

export const MachineEventQuerySchema = Type.Object(logRange, { additionalProperties: false });

export const EventStreamQuerySchema = Type.Object(
  {
    afterId: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Start after this id (the Last-Event-ID header wins).' }),
    ),
    machineId: Type.Optional(MachineIdSchema),
  },
  { additionalProperties: false },
);

export const EventListSchema = Type.Object({ items: Type.Array(EventSchema) });

export const AuditEntrySchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  at: EpochMsSchema,
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  remoteAddress: Nullable(Type.String()),
  outcome: Type.Enum([...AUDIT_OUTCOMES]),
  details: JsonObjectSchema,
});

export const AuditQuerySchema = Type.Object(
  {
    ...logRange,
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    target: Type.Optional(Type.String({ maxLength: 256 })),
    outcome: Type.Optional(Type.Enum([...AUDIT_OUTCOMES])),
  },
  { additionalProperties: false },
);

export const AuditListSchema = Type.Object({ items: Type.Array(AuditEntrySchema) });

export const LeaseSchema = Type.Object({
  address: Ipv4Schema,
  subnet: Type.String({ description: 'CIDR.' }),
  clientId: Type.String(),
  mac: MacSchema,
  state: Type.Enum([...LEASE_STATES]),
  expiresAt: EpochMsSchema,
  serverId: Ipv4Schema,
  hostname: Nullable(Type.String()),
  relayAgentInfo: Nullable(Type.String()),
});

export const LeaseQuerySchema = Type.Object(
  {
    subnet: Type.Optional(Type.String({ maxLength: 18, description: 'One configured subnet, in CIDR.' })),
    state: Type.Optional(
      Type.Array(Type.Enum([...LEASE_STATES]), { description: 'Default: the active ones (offered, bound).' }),
    ),
  },
  { additionalProperties: false },
);

export const LeaseListSchema = Type.Object({ items: Type.Array(LeaseSchema) });

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Enum([...API_ROLES]),
  createdAt: EpochMsSchema,
  createdBy: Type.String(),
  revokedAt: Nullable(EpochMsSchema),
});

export const TokenListSchema = Type.Object({ items: Type.Array(TokenSchema) });

export const TokenNameParamsSchema = Type.Object(
  { name: Type.String({ pattern: TOKEN_NAME_PATTERN.source }) },
  { additionalProperties: false },
);

export const NewTokenBodySchema = Type.Object(
  { name: Type.String({ pattern: TOKEN_NAME_PATTERN.source }), role: Type.Enum([...API_ROLES]) },
  { additionalProperties: false },
);

export const CreatedTokenSchema = Type.Object({
  token: TokenSchema,
  secret: Type.String({
    description: 'The token to send as `Authorization: Bearer …`. Shown this once only.',
  }),
});

export const HealthSchema = Type.Object({
  status: Type.Enum(['ok', 'degraded']),
  components: Type.Record(Type.String(), Type.Enum(['up', 'down', 'off'])),
});

export const VersionSchema = Type.Object({ name: Type.String(), version: Type.String() });

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.Enum(Object.keys(API_ERRORS)),
    message: Type.String(),
  }),
});

export const EmptySchema = Type.Object({}, { additionalProperties: false });

const Count = Type.Integer({ minimum: 0 });

/** Machines per install state, every state present (inventory/machine.ts MACHINE_STATES, in lifecycle order). */
export const MachineCountsSchema = Type.Object({
  discovered: Count,
  ready: Count,
  queued: Count,
  installing: Count,
  installed: Count,
  failed: Count,
} satisfies Record<MachineState, TSchema>);

/** values/cache-savings.ts CacheSavings: counted since the server started. */
export const CacheSavingsSchema = Type.Object({
  upstreamCopies: Type.Integer({ minimum: 0, description: 'Files fetched from upstream (cache misses).' }),
  served: Type.Integer({ minimum: 0, description: 'Requests answered with content.' }),
  upstreamBytes: Count,
  servedBytes: Count,
  storedFiles: Count,
  storedBytes: Count,
});

export const StatusQuerySchema = Type.Object(
  { label: Type.Optional(LabelFilterSchema) },
  { additionalProperties: false },
);

export const StatusSchema = Type.Object({
  machines: MachineCountsSchema,
  total: Count,
  cache: Nullable(CacheSavingsSchema),
});

export type MachineListQuery = Static<typeof MachineListQuerySchema>;

export const AssignBodySchema = Type.Object(
  {
    profile: Nullable(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]*$',
        maxLength: 63,
        description: 'A configured profile; null clears.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MarkBodySchema = Type.Object(
  {
    ttlMs: Type.Optional(
      Type.Integer({
        minimum: 60_000,
        maximum: 7 * 24 * 3_600_000,
        description: 'How long the mark is valid; default install.markTtlMs.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ProfileSchema = Type.Object({
  name: Type.String(),
  os: Type.String(),
  template: Type.String(),
  kernelArgs: Type.String(),
  variables: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Values of secret-named keys (pass, secret, token, key) and crypt hashes are shown as ***.',
  }),
});

export const ProfileListSchema = Type.Object({ items: Type.Array(ProfileSchema) });

export const RuleSchema = Type.Object({
  name: Type.String(),
  selector: Type.Object({
    mac: Type.Optional(MacSchema),
    uuid: Type.Optional(Type.String()),
    arch: Type.Optional(Type.Integer()),
    subnet: Type.Optional(Type.String({ description: 'CIDR.' })),
    vendorClass: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  }),
  profile: Type.String(),
  unmarked: Type.Enum([...UNMARKED_ACTIONS]),
});

export const RuleListSchema = Type.Object({ items: Type.Array(RuleSchema) });

export const OsImageSchema = Type.Object({
  name: Type.String(),
  family: Type.Enum([...OS_FAMILIES]),
  release: Type.String(),
  arch: Type.Enum([...OS_ARCHES]),
  kernel: Type.String({ description: 'Relative to the boot root (served as /boot/<path>).' }),
  initrds: Type.Array(Type.String()),
  installSource: Type.Optional(Type.String()),
  loaders: Type.Record(Type.String(), Type.String()),
  files: Type.Array(
    Type.Object({ path: Type.String(), sha256: Type.String(), size: Type.Integer({ minimum: 0 }) }),
  ),
  source: Type.String(),
  importedAt: EpochMsSchema,
});

export const OsImageListSchema = Type.Object({ items: Type.Array(OsImageSchema) });

export const ImageParamsSchema = Type.Object(
  { name: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$', maxLength: 100 }) },
  { additionalProperties: false },
);
