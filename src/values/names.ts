import { InvalidValueError } from './brand.js';

// Names operators give to things fleetboot keeps (profiles, rules, OS images). They appear in URLs, file names
// under the boot root, event details and CLI arguments, so they are plain lower-case ASCII that needs no quoting
// anywhere.

const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const PROFILE_NAME_EXPECTED =
  'a name such as debian12-web: 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit';

/** A profile's or a rule's name (src/inventory/profile.ts). */
export function parseProfileName(input: string): string {
  if (!PROFILE_NAME.test(input)) throw new InvalidValueError('name', input, PROFILE_NAME_EXPECTED);
  return input;
}

const IMAGE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const IMAGE_NAME_EXPECTED =
  'an OS image name such as debian-12-amd64: 1 to 63 lower-case letters, digits, dots and hyphens, starting ' +
  'with a letter or digit';

/** An OsImage's name (src/inventory/os-image.ts): also its directory under `<bootRoot>/images/`. */
export function parseImageName(input: string): string {
  if (!IMAGE_NAME.test(input) || input.includes('..')) {
    throw new InvalidValueError('OS image name', input, IMAGE_NAME_EXPECTED);
  }
  return input;
}
