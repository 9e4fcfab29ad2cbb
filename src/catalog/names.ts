/**
 * An image name: what a profile's `os` names, a directory under `<bootRoot>/images/` and a path component of every
 * TFTP and HTTP path of the image. Lower case, digits, dots and dashes, starting with a letter or digit, so it is
 * never `.`/`..`, never a hidden entry (the catalog's own temp directories start with a dot) and never needs quoting
 * in a boot loader's config.
 */
export const IMAGE_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;

/** Long enough for `rocky-9.4-x86-64-minimal`, short enough that a boot path stays far below 127 bytes. */
export const IMAGE_NAME_MAX = 63;

/** Why `name` is not a valid image name, or undefined when it is. */
export function imageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'an image name is empty';
  if (name.length > IMAGE_NAME_MAX)
    return `image name "${name}" is longer than ${String(IMAGE_NAME_MAX)} characters`;
  if (!IMAGE_NAME_PATTERN.test(name)) {
    return `image name "${name}" is invalid: expected lower-case letters, digits, dots and dashes, starting with a letter or digit`;
  }
  return undefined;
}

export function isImageName(name: string): boolean {
  return imageNameProblem(name) === undefined;
}

/** The default name of an image: `debian-12-amd64`, `ubuntu-24.04.1-amd64`, `rocky-9.4-amd64`. */
export function defaultImageName(distribution: string, release: string, arch: string): string {
  return [distribution, release, arch]
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
}
