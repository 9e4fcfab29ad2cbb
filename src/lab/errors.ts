/** Any failure of the network lab: a bad argument, a failed `ip` command, a resource limit. */
export class LabError extends Error {
  override readonly name: string = 'LabError';
}

/** The lab cannot run here at all (not root, no `ip netns`, no nft); `reason` says what to do about it. */
export class LabUnavailableError extends LabError {
  override readonly name = 'LabUnavailableError';
  constructor(readonly reason: string) {
    super(`the network lab cannot run: ${reason}`);
  }
}

/** A bounded wait ran out. Carries what the process printed so far, because that is what explains a hang. */
export class LabTimeoutError extends LabError {
  override readonly name = 'LabTimeoutError';
  constructor(
    message: string,
    readonly output: { readonly stdout: string; readonly stderr: string },
  ) {
    super(`${message}${describeOutput(output)}`);
  }
}

/** The tail of what a process printed, to append to an error about it (empty when it printed nothing). */
export function describeOutput(output: { readonly stdout: string; readonly stderr: string }): string {
  const tail = (text: string): string => (text.length > 2000 ? `…${text.slice(-2000)}` : text);
  const parts = [];
  if (output.stdout.length > 0) parts.push(`\n--- stdout ---\n${tail(output.stdout)}`);
  if (output.stderr.length > 0) parts.push(`\n--- stderr ---\n${tail(output.stderr)}`);
  return parts.join('');
}
