import path from 'node:path';
import { Option, type Command } from 'commander';
import { bootRootOf, Catalog, CatalogError, type CatalogImage } from '../../catalog/catalog.js';
import { OS_ARCHES, OS_FAMILIES, type OsArch, type OsFamily } from '../../inventory/os-image.js';
import { createLogger } from '../../observability/logger.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { loadCommandConfig } from './load.js';

interface ImportOptions {
  name?: string;
  family?: OsFamily;
  release?: string;
  arch?: OsArch;
  replace?: boolean;
}

export function registerOs(program: Command, io: CliIo): void {
  const os = program
    .command('os')
    .description(
      'Manage the OS images fleetboot boots (under <dataDir>/boot/images/, served over TFTP and as HTTP /boot/).',
    );

  os.command('import')
    .description(
      "Import an installer: Debian's netboot tree (e.g. /usr/lib/debian-installer/images/12/amd64/text from the " +
        'debian-installer-12-netboot-amd64 package), a netboot.tar.gz, an .iso file, or a mounted ISO or install ' +
        'tree (Debian install.amd/, Ubuntu casper/, RHEL-like images/pxeboot/). Records every file with its ' +
        'SHA-256 and installs the shared loaders (pxelinux, syslinux modules, iPXE) from the host packages.',
    )
    .argument('<source>', 'directory, tarball or .iso to import from')
    .option('--name <name>', 'image name (default: <distribution>-<release>-<arch>, e.g. debian-12-amd64)')
    .addOption(
      new Option('--family <family>', 'installer family, when the source does not say').choices(OS_FAMILIES),
    )
    .option('--release <release>', 'release, when the source does not say (12, 24.04, 9.4)')
    .addOption(new Option('--arch <arch>', 'architecture, when the source does not say').choices(OS_ARCHES))
    .option('--replace', 'replace an existing image of the same name')
    .action(async (source: string, options: ImportOptions, command: Command) => {
      const catalog = openCatalog(command, io);
      const image = await failing(() =>
        catalog.import({
          source: path.resolve(io.cwd, source),
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.family === undefined ? {} : { family: options.family }),
          ...(options.release === undefined ? {} : { release: options.release }),
          ...(options.arch === undefined ? {} : { arch: options.arch }),
          replace: options.replace === true,
        }),
      );
      io.stdout(
        `imported ${image.name}: ${image.family} ${image.release} ${image.arch} from ${image.source}\n`,
      );
      io.stdout(describeImage(image));
    });

  os.command('list')
    .description('List the imported images.')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (options: { output: 'table' | 'json' }, command: Command) => {
      const images = await failing(() => openCatalog(command, io).list());
      if (options.output === 'json') {
        io.stdout(`${JSON.stringify(images, null, 2)}\n`);
        return;
      }
      if (images.length === 0) {
        io.stdout('no OS images: import one with fleetboot os import <source>\n');
        return;
      }
      io.stdout(
        table([
          ['NAME', 'FAMILY', 'RELEASE', 'ARCH', 'FILES', 'SIZE', 'IMPORTED', 'SOURCE'],
          ...images.map((image) => [
            image.name,
            image.family,
            image.release,
            image.arch,
            String(image.files.length),
            megabytes(totalSize(image)),
            new Date(image.importedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            image.source,
          ]),
        ]),
      );
    });

  os.command('show')
    .description('Show one image: kernel, initrds, install source, loaders per firmware.')
    .argument('<name>', 'image name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const image = await failing(() => openCatalog(command, io).get(name));
      if (image === undefined) throw noSuchImage(name);
      io.stdout(`${image.name}: ${image.family} ${image.release} ${image.arch} from ${image.source}\n`);
      io.stdout(describeImage(image));
    });

  os.command('remove')
    .description('Remove an image and its files. The shared loaders stay.')
    .argument('<name>', 'image name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const removed = await failing(() => openCatalog(command, io).remove(name));
      if (!removed) throw noSuchImage(name);
      io.stdout(`removed ${name}\n`);
    });

  os.command('verify')
    .description(
      'Re-hash the files of each image (or of the named ones) and the shared loaders against the SHA-256 ' +
        'recorded at import. Exit 1 when any file is missing or changed.',
    )
    .argument('[names...]', 'image names (default: all)')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const catalog = openCatalog(command, io);
      const images = await failing(async () => {
        if (names.length === 0) return catalog.list();
        const found: CatalogImage[] = [];
        for (const name of names) found.push((await catalog.get(name)) ?? throwError(noSuchImage(name)));
        return found;
      });
      let broken = 0;
      for (const image of images) {
        const problems = await failing(() => catalog.verify(image));
        if (problems.length === 0) {
          io.stdout(`${image.name}: OK (${String(image.files.length)} files)\n`);
          continue;
        }
        broken += 1;
        io.stdout(`${image.name}: ${String(problems.length)} problem(s)\n`);
        for (const { path, problem } of problems) io.stdout(`  ${path}: ${problem}\n`);
      }
      if (broken > 0)
        throw new CommandError(`${String(broken)} image(s) failed verification`, ExitCode.failure);
    });
}

function openCatalog(command: Command, io: CliIo): Catalog {
  const { config } = loadCommandConfig(command.optsWithGlobals<{ config?: string }>().config, io);
  return new Catalog({
    bootRoot: bootRootOf(config.dataDir),
    logger: createLogger({ level: config.log.level }),
    now: Date.now,
  });
}

/** Runs a catalog operation; its refusals become a plain message and exit code 1. */
async function failing<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CatalogError) throw new CommandError(error.message, ExitCode.failure);
    throw error;
  }
}

function noSuchImage(name: string): CommandError {
  return new CommandError(`no OS image named "${name}" (fleetboot os list shows them)`, ExitCode.failure);
}

function throwError(error: Error): never {
  throw error;
}

function describeImage(image: CatalogImage): string {
  const lines = [
    ['kernel', image.kernel],
    ...image.initrds.map((initrd) => ['initrd', initrd]),
    ...(image.installSource === undefined ? [] : [['install source', image.installSource]]),
    ...(image.externalSource === undefined
      ? []
      : [['served from', `${image.externalSource.directory} (not copied: an extra root)`]]),
    ...Object.entries(image.loaders).map(([kind, file]) => [`loader ${kind}`, file]),
    ...(image.grubPrefix === undefined
      ? []
      : [['grub prefix', `${image.grubPrefix} (GRUB reads grub.cfg there)`]]),
    ['files', `${String(image.files.length)}, ${megabytes(totalSize(image))}`],
  ];
  return table(lines, '  ');
}

function totalSize(image: CatalogImage): number {
  return image.files.reduce((sum, file) => sum + file.size, 0);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths =
    rows[0]?.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
          .join('  '),
    )
    .map((line) => `${line}\n`)
    .join('');
}
