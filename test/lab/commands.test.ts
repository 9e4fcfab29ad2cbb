import { describe, expect, it } from 'vitest';
import {
  dropIncomingScript,
  ipArgs,
  NFT_TABLE,
  nftArgs,
  parseDroppedPackets,
  parseLinkNames,
  parseNamespaceNames,
  parsePids,
} from '../../src/lab/commands.js';

describe('ip arguments', () => {
  it('names the namespace in every command that touches a link', () => {
    const linkCommands = [
      ipArgs.addBridge('ns', 'br'),
      ipArgs.addVethPair('ns', 'a', 'b', 'peer'),
      ipArgs.addTap('ns', 't'),
      ipArgs.setMaster('ns', 'a', 'br'),
      ipArgs.silence('ns', 'a'),
      ipArgs.setMac('ns', 'a', '52:54:00:00:00:01'),
      ipArgs.setUp('ns', 'a'),
      ipArgs.addAddress('ns', 'a', '198.18.0.1/24'),
      ipArgs.listLinks('ns'),
    ];
    for (const args of linkCommands) expect(args.slice(0, 2)).toEqual(['-n', 'ns']);
  });

  it('creates the veth peer directly in the other namespace', () => {
    expect(ipArgs.addVethPair('sw', 'p0', 'e0', 'host')).toEqual([
      '-n',
      'sw',
      'link',
      'add',
      'p0',
      'type',
      'veth',
      'peer',
      'name',
      'e0',
      'netns',
      'host',
    ]);
  });

  it('builds bridges without STP and silences the wire', () => {
    expect(ipArgs.addBridge('sw', 'b0')).toEqual([
      '-n',
      'sw',
      'link',
      'add',
      'b0',
      'type',
      'bridge',
      'stp_state',
      '0',
    ]);
    expect(ipArgs.silence('sw', 'b0')).toEqual([
      '-n',
      'sw',
      'link',
      'set',
      'dev',
      'b0',
      'addrgenmode',
      'none',
    ]);
  });

  it('passes commands to run in a namespace as separate arguments, never through a shell', () => {
    expect(ipArgs.exec('h', 'sh', ['-c', 'echo $HOME; rm -rf /'])).toEqual([
      'netns',
      'exec',
      'h',
      'sh',
      '-c',
      'echo $HOME; rm -rf /',
    ]);
  });

  it('lists the links of the current namespace without -n', () => {
    expect(ipArgs.listLinks()).toEqual(['-json', 'link', 'show']);
  });

  it('builds the namespace commands', () => {
    expect(ipArgs.addNamespace('x')).toEqual(['netns', 'add', 'x']);
    expect(ipArgs.deleteNamespace('x')).toEqual(['netns', 'delete', 'x']);
    expect(ipArgs.namespacePids('x')).toEqual(['netns', 'pids', 'x']);
    expect(ipArgs.listNamespaces()).toEqual(['-json', 'netns', 'list']);
    expect(ipArgs.addTap('sw', 't0')).toEqual(['-n', 'sw', 'tuntap', 'add', 'dev', 't0', 'mode', 'tap']);
  });
});

describe('nft drop rule', () => {
  it('drops a random percentage on the input hook, replacing any earlier rule in one transaction', () => {
    expect(dropIncomingScript(30)).toBe(
      [
        `table inet ${NFT_TABLE}`,
        `delete table inet ${NFT_TABLE}`,
        `table inet ${NFT_TABLE} {`,
        '  chain input {',
        '    type filter hook input priority filter; policy accept;',
        '    numgen random mod 100 < 30 counter drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('drops everything at 100 without numgen (nft refuses "< 100" for a value of 0–99)', () => {
    expect(dropIncomingScript(100)).toContain('    counter drop\n');
    expect(dropIncomingScript(100)).not.toContain('numgen');
  });

  it('removes the table at 0', () => {
    expect(dropIncomingScript(0)).toBe(`table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`);
  });

  it('refuses percentages that are not integers from 0 to 100', () => {
    for (const bad of [-1, 101, 2.5, Number.NaN]) expect(() => dropIncomingScript(bad)).toThrow(RangeError);
  });

  it('reads the drop counter from nft list', () => {
    const text = `table inet fblab {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tnumgen random mod 100 < 50 counter packets 17 bytes 1428 drop\n\t}\n}\n`;
    expect(parseDroppedPackets(text)).toBe(17);
    expect(() => parseDroppedPackets('table inet fblab {\n}\n')).toThrow(/no drop counter/);
    expect(nftArgs.listTable()).toEqual(['list', 'table', 'inet', NFT_TABLE]);
    expect(nftArgs.applyScript()).toEqual(['-f', '-']);
  });
});

describe('ip output', () => {
  it('reads link names from ip -json link', () => {
    expect(parseLinkNames('[{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"eth0"}]')).toEqual([
      'lo',
      'eth0',
    ]);
    expect(() => parseLinkNames('{}')).toThrow(/expected an array/);
  });

  it('reads namespace names, including the empty output of a machine without any', () => {
    expect(parseNamespaceNames('[{"name":"fbcap-srv","id":1},{"name":"fblk3x9q-sw0"}]')).toEqual([
      'fbcap-srv',
      'fblk3x9q-sw0',
    ]);
    expect(parseNamespaceNames('')).toEqual([]);
  });

  it('reads PIDs from ip netns pids', () => {
    expect(parsePids('123\n4567\n\n')).toEqual([123, 4567]);
    expect(parsePids('')).toEqual([]);
  });
});
