import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';
import type { DhcpMode } from '../../config/types.js';
import type { CliIo } from '../io.js';
import { loadCommandConfig } from './load.js';

/** What `serve` does with each DHCP mode, as `config check` reports it (main.ts refuseUnbuiltModes, addDhcp). */
const DHCP_MODE_NOTES: Readonly<Record<DhcpMode, string>> = {
  off: '',
  full: '',
  proxy: ' (proxyDHCP: boot information only, ports 67 and 4011)',
  auto: ' (not available in this version: serve refuses it)',
};

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command('config').description('Check the configuration, or print its JSON Schema.');

  config
    .command('check')
    .description(
      'Validate the configuration (file, defaults and FLEETBOOT_… environment overrides) and say what fleetboot ' +
        'would serve. Every problem is printed as file:line:column with the key and what is expected.',
    )
    .action((_options: unknown, command: Command) => {
      const { config: loaded, source } = loadCommandConfig(
        command.optsWithGlobals<{ config?: string }>().config,
        io,
      );
      const dhcp =
        loaded.dhcp.mode === 'off' || loaded.dhcp.interfaces.length === 0
          ? 'off'
          : `${loaded.dhcp.mode} on ${loaded.dhcp.interfaces.join(', ')}${DHCP_MODE_NOTES[loaded.dhcp.mode]}`;
      io.stdout(
        `${source ?? '(no file: embedded defaults)'}: OK\n` +
          `  data directory  ${loaded.dataDir}\n` +
          `  store           ${loaded.store.dialect === 'sqlite' ? `sqlite ${loaded.store.file}` : 'postgresql'}\n` +
          `  http            ${loaded.http.listen.host}:${loaded.http.listen.port}\n` +
          `  tftp            ${loaded.tftp.enabled ? `${loaded.tftp.listen.host}:${loaded.tftp.listen.port}` : 'off'}\n` +
          `  dhcp            ${dhcp}\n`,
      );
    });

  config
    .command('schema')
    .description('Print the JSON Schema of fleetboot.yaml, for editor completion and validation.')
    .action(() => {
      io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
