/**
 * A refused or failed catalog operation, with a message for the operator that names the path and what was expected.
 * The CLI prints it as is; anything else reaching the CLI is a bug and gets a stack trace.
 */
export class CatalogError extends Error {
  override readonly name: string = 'CatalogError';
}
