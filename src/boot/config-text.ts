import { parseBootPath, parseKernelArgs, parseLineText } from '../values/boot-text.js';
import { InvalidValueError } from '../values/brand.js';

/**
 * A value fleetboot cannot write into a generated boot config without changing its meaning: a line break would
 * start a directive of someone's choosing, so nothing is escaped into shape: the file is refused (its request
 * fails with a TFTP error). The configuration loader refuses the same values earlier, with the same rules
 * (values/boot-text.ts); this is the renderers' own guard for plans that come from elsewhere (the inventory).
 */
export class BootConfigTextError extends Error {
  override readonly name = 'BootConfigTextError';
}

/** x86 Linux's COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h). */
export const MAX_KERNEL_ARGS = 2048;
export const MAX_LABEL = 200;

export function checkLineText(value: string, what: string, maxLength: number): string {
  guard(() => parseLineText(value), what);
  if (value.length > maxLength)
    throw new BootConfigTextError(`${what} is longer than ${maxLength} characters`);
  return value;
}

/** A kernel command line every loader passes on unchanged (values/boot-text.ts: no quotes, no backslashes). */
export function checkKernelArgs(value: string): string {
  guard(() => parseKernelArgs(value), 'the kernel arguments');
  if (value.length > MAX_KERNEL_ARGS)
    throw new BootConfigTextError(`the kernel arguments are longer than ${MAX_KERNEL_ARGS} characters`);
  return value;
}

/** A path on the TFTP server, relative to its root; a leading `/` is dropped. */
export function checkBootPath(value: string, what: string): string {
  return guard(() => parseBootPath(value), what);
}

const ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function checkEntryId(value: string): string {
  if (!ID.test(value))
    throw new BootConfigTextError(`entry id ${JSON.stringify(value)} must match ${String(ID)}`);
  return value;
}

function guard(check: () => string, what: string): string {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidValueError) throw new BootConfigTextError(`${what}: ${error.message}`);
    throw error;
  }
}
