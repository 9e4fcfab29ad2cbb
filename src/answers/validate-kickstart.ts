import { CRYPT_HASH_EXPECTED, isCryptHash } from './crypt-hash.js';
import type { AnswerProblem } from './problem.js';

/** A command line split into its options (`--name[=value]`) and positional words. */
interface Command {
  readonly options: ReadonlyMap<string, string | true>;
  readonly positional: readonly string[];
}

type CommandCheck = (command: Command) => string | undefined;

const none: CommandCheck = () => undefined;
const needsOption =
  (...names: string[]): CommandCheck =>
  ({ options }) =>
    names.some((name) => options.has(name)) ? undefined : `needs ${names.join(' or ')}`;
const needsPositional =
  (what: string): CommandCheck =>
  ({ positional }) =>
    positional.length > 0 ? undefined : `needs ${what}`;
const all =
  (...checks: CommandCheck[]): CommandCheck =>
  (command) =>
    checks.map((check) => check(command)).find((problem) => problem !== undefined);

/** A crypted password or none (catalogue S05): `--plaintext`, or a password without `--iscrypted`, is refused. */
const cryptedPassword =
  (passwordAt: (command: Command) => string | undefined): CommandCheck =>
  (command) => {
    const password = passwordAt(command);
    if (password === undefined) return undefined;
    if (command.options.has('--plaintext') || !command.options.has('--iscrypted')) {
      return 'has a plain-text password: give a hash with --iscrypted';
    }
    return isCryptHash(password) ? undefined : `needs a password hash (${CRYPT_HASH_EXPECTED})`;
  };

// The commands of pykickstart's RHEL 9 handler, with the arguments each cannot do without (pykickstart docs,
// "Chapter 2. Kickstart Commands in RHEL"). Deprecated and removed commands are unknown, as Anaconda 34+ has them.
const COMMANDS: Readonly<Record<string, CommandCheck>> = {
  authselect: none,
  autopart: none,
  autostep: none,
  bootloader: none,
  btrfs: none,
  cdrom: none,
  clearpart: none,
  cmdline: none,
  device: none,
  driverdisk: none,
  eula: needsOption('--agreed'),
  fcoe: needsOption('--nic'),
  firewall: none,
  firstboot: needsOption('--enable', '--enabled', '--disable', '--disabled', '--reconfig'),
  graphical: none,
  group: needsOption('--name'),
  halt: none,
  harddrive: all(needsOption('--partition', '--biospart'), needsOption('--dir')),
  hmc: none,
  ignoredisk: needsOption('--only-use', '--drives'),
  iscsi: needsOption('--ipaddr'),
  iscsiname: needsPositional('an iSCSI name'),
  keyboard: (c) =>
    c.positional.length > 0 || c.options.has('--vckeymap') || c.options.has('--xlayouts')
      ? undefined
      : 'needs a layout, --vckeymap or --xlayouts',
  lang: needsPositional('a language such as en_US.UTF-8'),
  liveimg: needsOption('--url'),
  logging: none,
  logvol: all(needsPositional('a mount point'), needsOption('--vgname'), needsOption('--name')),
  mediacheck: none,
  module: needsOption('--name'),
  mount: needsPositional('a device and a mount point'),
  network: none,
  nfs: all(needsOption('--server'), needsOption('--dir')),
  nvdimm: needsPositional('an action'),
  ostreecontainer: needsOption('--url'),
  ostreesetup: all(needsOption('--osname'), needsOption('--url'), needsOption('--ref')),
  part: needsPositional('a mount point'),
  partition: needsPositional('a mount point'),
  poweroff: none,
  raid: needsPositional('a mount point'),
  realm: needsPositional('a realm action'),
  reboot: none,
  repo: all(needsOption('--name'), needsOption('--baseurl', '--mirrorlist', '--metalink')),
  reqpart: none,
  rescue: none,
  rhsm: none,
  rootpw: (c) =>
    c.options.has('--lock') && c.positional.length === 0
      ? undefined
      : (needsPositional('a password hash, or --lock')(c) ?? cryptedPassword((cmd) => cmd.positional[0])(c)),
  selinux: needsOption('--enforcing', '--permissive', '--disabled'),
  services: needsOption('--enabled', '--disabled'),
  shutdown: none,
  skipx: none,
  snapshot: needsPositional('a device'),
  sshkey: all(needsOption('--username'), needsPositional('a public key')),
  sshpw: all(needsOption('--username'), needsPositional('a password or key'), (c) =>
    c.options.has('--sshkey') ? undefined : cryptedPassword((cmd) => cmd.positional[0])(c),
  ),
  text: none,
  timesource: needsOption('--ntp-server', '--ntp-pool', '--ntp-disable'),
  timezone: needsPositional('a time zone such as Etc/UTC'),
  url: needsOption('--url', '--mirrorlist', '--metalink'),
  user: all(
    needsOption('--name'),
    cryptedPassword(({ options }) => {
      const password = options.get('--password');
      return password === undefined ? undefined : password === true ? '' : password;
    }),
  ),
  vnc: none,
  volgroup: needsPositional('a volume group name'),
  xconfig: none,
  zerombr: none,
  zfcp: none,
  zipl: none,
};

const SCRIPT_SECTIONS = new Set(['%pre', '%pre-install', '%post', '%onerror', '%traceback']);
const DATA_SECTIONS = new Set(['%packages', '%addon', '%anaconda']);
// One line of %packages: a package (globs allowed), @group, @^environment or -excluded, then options.
const PACKAGE_LINE = /^(?:@\^?|-)?[A-Za-z0-9*?][A-Za-z0-9_.+:~*?-]*(?:\s+--[a-z-]+)*$/;

/**
 * Splits a line as pykickstart does (Python's `shlex.split(line, comments=True)`, POSIX mode): single quotes take
 * everything literally, double quotes allow `\"` and `\\`, a backslash outside quotes escapes the next character,
 * an unquoted `#` at the start of a word begins a comment.
 */
export function splitKickstartWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] ?? '';
    if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '#' && word === undefined) {
      break;
    } else if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('has an unterminated single quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      word ??= '';
      for (i++; ; i++) {
        if (i >= line.length) throw new Error('has an unterminated double quote');
        const inner = line[i] ?? '';
        if (inner === '"') break;
        if (inner === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i] ?? '';
        else word += inner;
      }
    } else if (char === '\\') {
      if (i + 1 >= line.length) throw new Error('ends with a backslash');
      word = (word ?? '') + (line[++i] ?? '');
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function toCommand(words: readonly string[]): Command {
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  for (const word of words) {
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      if (eq < 0) options.set(word, true);
      else options.set(word.slice(0, eq), word.slice(eq + 1));
    } else {
      positional.push(word);
    }
  }
  return { options, positional };
}

/**
 * Checks a kickstart file's syntax: every command line is a known command with the arguments it needs, sections
 * (`%packages`, `%pre`, `%post`, …) are known and closed by `%end`, and `%packages` lines are package specs.
 * What commands mean together (a `part` without a disk…) is Anaconda's to judge; a typo is ours to catch.
 */
export function validateKickstart(text: string): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const state: { section: Section | undefined } = { section: undefined };
  text.split('\n').forEach((raw, index) => {
    const message = checkLine(raw, index + 1, state);
    if (message !== undefined) problems.push({ line: index + 1, message });
  });
  if (state.section !== undefined) {
    problems.push({ line: state.section.line, message: `${state.section.name} has no %end` });
  }
  return problems;
}

interface Section {
  readonly name: string;
  readonly line: number;
}

/** One line's problem, if any; opens and closes sections in `state`. */
function checkLine(raw: string, line: number, state: { section: Section | undefined }): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(raw)) return 'contains a control character (a CR of CRLF…)';
  const trimmed = raw.trim();
  const section = state.section;
  if (section !== undefined) {
    if (trimmed === '%end') {
      state.section = undefined;
      return undefined;
    }
    if (trimmed.startsWith('%') && !SCRIPT_SECTIONS.has(section.name)) {
      return `${trimmed.split(/\s/)[0] ?? ''} inside ${section.name} (line ${section.line}), which has no %end`;
    }
    if (
      section.name === '%packages' &&
      trimmed !== '' &&
      !trimmed.startsWith('#') &&
      !PACKAGE_LINE.test(trimmed)
    ) {
      return `is not a package, @group or -package: ${JSON.stringify(trimmed)}`;
    }
    return undefined;
  }
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  let words: string[];
  try {
    words = splitKickstartWords(trimmed);
  } catch (error) {
    return (error as Error).message;
  }
  const [name = '', ...args] = words;
  if (name.startsWith('%')) {
    if (name === '%end') return '%end without a section';
    if (name === '%include' || name === '%ksappend')
      return args.length === 1 ? undefined : `${name} needs one file`;
    if (!SCRIPT_SECTIONS.has(name) && !DATA_SECTIONS.has(name)) return `unknown section ${name}`;
    state.section = { name, line };
    return undefined;
  }
  const check = COMMANDS[name];
  if (check === undefined) return `unknown command ${JSON.stringify(name)}`;
  const message = check(toCommand(args));
  return message === undefined ? undefined : `${name} ${message}`;
}
