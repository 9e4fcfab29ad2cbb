import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The Debian 12 installer's initrd, from the `debian-installer-12-netboot-amd64` package (scripts/setup-test.sh). */
export const DI_INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const BUSYBOX = '/usr/bin/busybox';

/** What d-i's parser did with a preseed file: the questions it set, in order, or why it stopped. */
export type DiParse = { readonly set: [string, string][] } | { readonly error: string };

/**
 * debian-installer's own preseed parser: `bin/debconf-set-selections` of the Debian 12 initrd, a busybox shell
 * script, run with busybox (`sh`, `grep`, `sed`: the applets d-i has) and debconf replaced by functions that print
 * what would be set. Extracts the script into `dir` once.
 */
export function diPreseedParser(dir: string): (preseed: string) => DiParse {
  execFileSync(
    'sh',
    ['-c', `zcat "$1" | ${BUSYBOX} cpio -i -d bin/debconf-set-selections 2>/dev/null`, 'sh', DI_INITRD],
    {
      cwd: dir,
    },
  );
  const applets = path.join(dir, 'applets');
  mkdirSync(applets);
  for (const applet of ['sh', 'grep', 'sed']) symlinkSync(BUSYBOX, path.join(applets, applet));
  writeFileSync(
    path.join(dir, 'confmodule'),
    [
      'db_set() { printf \'SET %s %s\\n\' "$1" "$2"; }',
      'db_fset() { :; }',
      'db_register() { :; }',
      'db_subst() { :; }',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'preseed.sh'), 'logfile=/dev/null\nlog() { echo "$*" >&2; }\n');
  const script = readFileSync(path.join(dir, 'bin', 'debconf-set-selections'), 'utf8')
    .replace('. /usr/share/debconf/confmodule', `. ${path.join(dir, 'confmodule')}`)
    .replace('. /lib/preseed/preseed.sh', `. ${path.join(dir, 'preseed.sh')}`);
  if (!script.includes(path.join(dir, 'confmodule')) || !script.includes(path.join(dir, 'preseed.sh'))) {
    throw new Error(
      'the initrd debconf-set-selections no longer sources confmodule and preseed.sh as expected',
    );
  }
  writeFileSync(path.join(dir, 'debconf-set-selections'), script);
  const input = path.join(dir, 'preseed.cfg');
  return (preseed) => {
    writeFileSync(input, preseed);
    const run = spawnSync(path.join(applets, 'sh'), [path.join(dir, 'debconf-set-selections'), input], {
      encoding: 'utf8',
      env: { PATH: applets },
      timeout: 60_000,
    });
    if (run.status !== 0) return { error: run.stderr.trim() || `exit ${String(run.status)}` };
    const set = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('SET '))
      .map((line): [string, string] => {
        const [, question = '', value = ''] = /^SET (\S+) (.*)$/.exec(line) ?? [];
        return [question, value];
      });
    return { set };
  };
}
