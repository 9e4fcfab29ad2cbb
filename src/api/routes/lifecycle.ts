// Machine commands through the install lifecycle (provision/lifecycle.ts): assign a profile, mark for install or
// reinstall, cancel, forget. The lifecycle writes each command's event and audit entry itself, refusals included,
// with the caller's token name and address; the install token it makes goes into the boot config only, never into
// a response (catalogue S06).
import { parseMachineId } from '../../inventory/machine.js';
import { type Lifecycle, LifecycleRefusedError } from '../../provision/lifecycle.js';
import { ApiError } from '../errors.js';
import { defineRoute, type AnyRoute, type ErasedCall } from '../route.js';
import {
  AssignBodySchema,
  EmptySchema,
  MachineParamsSchema,
  MachineSchema,
  MarkBodySchema,
} from '../schemas.js';

/** The lifecycle's caller: the token's name and the socket's address. */
function actor(call: Pick<ErasedCall, 'principal' | 'request'>) {
  return { actor: call.principal?.name ?? 'anonymous', address: call.request.ip };
}

/** A refusal as the API error it is, with the lifecycle's message, which says what to do instead. */
export function refusalToApiError(error: unknown): unknown {
  if (!(error instanceof LifecycleRefusedError)) return error;
  switch (error.reason) {
    case 'not-found':
      return new ApiError('FLEETBOOT_MACHINE_NOT_FOUND', error.message, {}, error);
    case 'unknown-profile':
      return new ApiError(
        'FLEETBOOT_UNKNOWN_PROFILE',
        `${error.message}; GET /api/v1/profiles lists them`,
        {},
        error,
      );
    case 'no-profile':
      return new ApiError('FLEETBOOT_NO_PROFILE', error.message, {}, error);
    case 'wrong-state':
    case 'expired':
    case 'stale-token':
    case 'unknown-token':
      return new ApiError('FLEETBOOT_WRONG_STATE', error.message, {}, error);
  }
}

async function refusing<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw refusalToApiError(error);
  }
}

const byLifecycle = (action: string) => ({
  action,
  target: ({ params }: { params: { id: string } }) => params.id,
  recordedBy: 'handler' as const,
});

export function lifecycleRoutes(lifecycle: Lifecycle): AnyRoute[] {
  return [
    defineRoute({
      method: 'PUT',
      url: '/machines/:id/profile',
      operationId: 'assignProfile',
      summary: 'Assign the profile a machine installs with (null clears it): discovered → ready.',
      tag: 'machines',
      access: 'operator',
      audit: byLifecycle('machine.assign'),
      params: MachineParamsSchema,
      body: AssignBodySchema,
      response: MachineSchema,
      handler: async (call) =>
        refusing(lifecycle.assign(parseMachineId(call.params.id), call.body.profile, actor(call))),
    }),
    markRoute(lifecycle, {
      url: '/machines/:id/install',
      operationId: 'markInstall',
      summary: 'Mark a machine for one install: its next network boot installs it; the mark expires.',
      action: 'machine.mark',
      reinstall: false,
    }),
    markRoute(lifecycle, {
      url: '/machines/:id/reinstall',
      operationId: 'markReinstall',
      summary: 'Mark an installed (or failed) machine to be installed again, once.',
      action: 'machine.reinstall',
      reinstall: true,
    }),
    defineRoute({
      method: 'POST',
      url: '/machines/:id/cancel',
      operationId: 'cancelInstall',
      summary: 'Take back an install mark before the install starts.',
      tag: 'machines',
      access: 'operator',
      audit: byLifecycle('machine.cancel'),
      params: MachineParamsSchema,
      response: MachineSchema,
      handler: async (call) => refusing(lifecycle.cancel(parseMachineId(call.params.id), actor(call))),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/machines/:id',
      operationId: 'forgetMachine',
      summary: 'Forget a machine (refused while it is marked): it leaves the inventory; its events stay.',
      tag: 'machines',
      access: 'admin',
      audit: byLifecycle('machine.forget'),
      params: MachineParamsSchema,
      response: EmptySchema,
      handler: async (call) => {
        await refusing(lifecycle.forget(parseMachineId(call.params.id), actor(call)));
        return {};
      },
    }),
  ];
}

/** Install and reinstall: one mark, told apart by `reinstall` (the lifecycle checks the state for each). */
function markRoute(
  lifecycle: Lifecycle,
  what: { url: string; operationId: string; summary: string; action: string; reinstall: boolean },
): AnyRoute {
  return defineRoute({
    method: 'POST',
    url: what.url,
    operationId: what.operationId,
    summary: what.summary,
    tag: 'machines',
    access: 'operator',
    audit: byLifecycle(what.action),
    params: MachineParamsSchema,
    body: MarkBodySchema,
    response: MachineSchema,
    handler: async (call) => {
      const { machine } = await refusing(
        lifecycle.markInstall(parseMachineId(call.params.id), {
          ...actor(call),
          reinstall: what.reinstall,
          ...(call.body.ttlMs === undefined ? {} : { ttlMs: call.body.ttlMs }),
        }),
      );
      return machine;
    },
  });
}
