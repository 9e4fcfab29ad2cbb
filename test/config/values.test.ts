import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnosticsOf, loadText, problemsOf, scratchDir } from './support.js';

// Table tests of each key's own type: every boundary of every range, and every form a semantic string may take.

const dir = scratchDir();
const load = (config: object) => loadText(dir, stringify(config)).config;
const problems = (config: object) => problemsOf(dir, stringify(config));

describe('integer ranges', () => {
  it.each([
    ['blocksize', 512, 65464],
    ['windowsize', 1, 64],
    ['timeout', 1, 255],
    ['retries', 1, 20],
  ] as const)('tftp.%s accepts %i to %i and nothing outside', (key, min, max) => {
    expect(load({ tftp: { [key]: min } }).tftp[key]).toBe(min);
    expect(load({ tftp: { [key]: max } }).tftp[key]).toBe(max);
    const expected = `tftp.${key}: expected an integer from ${min} to ${max}`;
    expect(problems({ tftp: { [key]: min - 1 } })).toEqual([`${expected}, got ${min - 1}`]);
    expect(problems({ tftp: { [key]: max + 1 } })).toEqual([`${expected}, got ${max + 1}`]);
    expect(problems({ tftp: { [key]: min + 0.5 } })).toEqual([`${expected}, got ${min + 0.5}`]);
  });

  it.each(['maxTransfers', 'maxPerClient'] as const)('tftp.%s is at least 1', (key) => {
    expect(load({ tftp: { maxPerClient: 1, [key]: 1 } }).tftp[key]).toBe(1);
    expect(problems({ tftp: { maxPerClient: 1, [key]: 0 } })).toEqual([
      `tftp.${key}: expected an integer of at least 1, got 0`,
    ]);
  });

  it('a rule between two keys points at the one that was written', () => {
    const [atTransfers] = diagnosticsOf(dir, 'tftp:\n  retries: 2\n  maxTransfers: 4\n');
    expect(atTransfers).toMatchObject({ path: 'tftp.maxPerClient', origin: { line: 3, column: 17 } });
    const [atPerClient] = diagnosticsOf(dir, 'tftp:\n  maxTransfers: 4\n  maxPerClient: 5\n');
    expect(atPerClient).toMatchObject({ path: 'tftp.maxPerClient', origin: { line: 3, column: 17 } });
  });

  it('tftp.maxPerClient may not exceed tftp.maxTransfers', () => {
    expect(load({ tftp: { maxTransfers: 4, maxPerClient: 4 } }).tftp.maxPerClient).toBe(4);
    expect(problems({ tftp: { maxTransfers: 4, maxPerClient: 5 } })).toEqual([
      'tftp.maxPerClient: must not exceed tftp.maxTransfers (4)',
    ]);
  });

  it('dhcp lease time is at least 10 seconds and below "infinite" (0xffffffff)', () => {
    const subnet = (leaseTime: number) => ({ dhcp: { subnets: [{ subnet: '10.0.0.0/24', leaseTime }] } });
    expect(load(subnet(10)).dhcp.subnets[0]?.leaseTime).toBe(10);
    expect(load(subnet(0xfffffffe)).dhcp.subnets[0]?.leaseTime).toBe(0xfffffffe);
    expect(problems(subnet(9))).toEqual([
      'dhcp.subnets[0].leaseTime: expected an integer from 10 to 4294967294, got 9',
    ]);
    expect(problems(subnet(0xffffffff))).toHaveLength(1);
  });
});

describe('log.level', () => {
  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)('accepts %s', (level) => {
    expect(load({ log: { level } }).log.level).toBe(level);
  });

  it('refuses anything else, listing the choices', () => {
    expect(problems({ log: { level: 'INFO' } })).toEqual([
      'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "INFO"',
    ]);
  });
});

describe('listen addresses', () => {
  it.each([
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['192.0.2.1:65535', { host: '192.0.2.1', port: 65535 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['[fe80::1]:80', { host: 'fe80::1', port: 80 }],
  ])('%s is %j', (listen, expected) => {
    expect(load({ http: { listen } }).http.listen).toEqual(expected);
    expect(load({ tftp: { listen } }).tftp.listen).toEqual(expected);
  });

  it.each([
    '8080',
    ':8080',
    '0.0.0.0',
    '0.0.0.0:65536',
    '010.0.0.1:80',
    'localhost:80',
    '[zz]:80',
    '::1:80',
    8080,
  ])('%j is refused', (listen) => {
    expect(problems({ http: { listen } })).toEqual([
      `http.listen: expected host:port such as 0.0.0.0:8080 (an IPv4 address or [IPv6 address], port 0 to 65535), got ${JSON.stringify(listen)}`,
    ]);
  });
});

describe('http.publicUrl', () => {
  it.each([
    ['http://192.0.2.1:8080', 'http://192.0.2.1:8080'],
    ['http://192.0.2.1:8080/', 'http://192.0.2.1:8080'],
    ['https://boot.example/fleetboot/', 'https://boot.example/fleetboot'],
  ])('%s is kept as %s, without a trailing slash', (publicUrl, expected) => {
    expect(load({ http: { publicUrl } }).http.publicUrl).toBe(expected);
  });

  it.each(['ftp://192.0.2.1/', 'http://192.0.2.1/?a=1', 'http://192.0.2.1/#top', 'boot.example', ''])(
    '%j is refused',
    (publicUrl) => {
      expect(problems({ http: { publicUrl } })[0]).toMatch(
        /^http\.publicUrl: expected an http:\/\/ or https:\/\/ URL/,
      );
    },
  );
});

describe('http.publicUrl with a user name or password', () => {
  it.each([
    ['http://admin:s3cret@192.0.2.1:8080', 'http://admin:***@192.0.2.1:8080'],
    ['https://admin@boot.example/', 'https://admin@boot.example/'],
    ['http://:s3cret@192.0.2.1', 'http://:***@192.0.2.1'],
  ])('%j is refused, because every machine reads it, and shown masked', (publicUrl, shown) => {
    const [problem, ...rest] = problems({ http: { publicUrl } });
    expect(rest).toEqual([]);
    expect(problem).toBe(
      'http.publicUrl: expected a URL without a user name or password (it is written into boot scripts that ' +
        `every booting machine can read), such as http://192.0.2.1:8080, got ${JSON.stringify(shown)}`,
    );
    expect(problem).not.toContain('s3cret');
  });
});

describe('store', () => {
  it.each([
    ['postgres://fleetboot:secret@db.example/fleetboot', { dialect: 'postgres' }],
    ['postgresql://db.example:5433/fleetboot', { dialect: 'postgres' }],
    // libpq's Unix-socket form (peer authentication), which the store always accepted.
    ['postgres:///fleetboot?host=/var/run/postgresql', { dialect: 'postgres' }],
    ['sqlite:/var/lib/fleetboot/x.db', { dialect: 'sqlite', file: '/var/lib/fleetboot/x.db' }],
    ['sqlite', { dialect: 'sqlite' }],
  ])('%s is accepted', (store, expected) => {
    const loaded = load({ store }).store;
    expect(loaded).toMatchObject(expected);
    if (loaded.dialect === 'postgres') expect(loaded.url).toBe(store);
  });

  it.each(['mysql://db/x', 'sqlite:', 'sqlite: ', 'postgres:db', 'SQLite', ''])('%j is refused', (store) => {
    expect(problems({ store })).toEqual([
      `store: expected sqlite, sqlite:<file>, sqlite::memory:, or a postgres://user@host/database URL, got ${JSON.stringify(store)}`,
    ]);
  });

  it.each(['postgres://', 'postgres:///fleetboot', 'postgres://fb@/fleetboot'])(
    '%j is refused for naming no server',
    (store) => {
      expect(problems({ store })).toEqual([
        'store: expected a PostgreSQL URL that names the server: postgres://user@host/database, or ' +
          `postgres:///database?host=/run/postgresql for a Unix socket, got ${JSON.stringify(store)}`,
      ]);
    },
  );
});

describe('strings', () => {
  it('dataDir may not be empty', () => {
    expect(problems({ dataDir: '' })).toEqual(['dataDir: expected a non-empty string, got ""']);
  });

  it('tftp.enabled is a boolean', () => {
    expect(load({ tftp: { enabled: false } }).tftp.enabled).toBe(false);
  });

  it.each(['eth0', 'enp3s0f1', 'br-lab.100', 'a', 'fifteen-chars-x'])('interface %s is accepted', (name) => {
    expect(load({ dhcp: { interfaces: [name] } }).dhcp.interfaces).toEqual([name]);
  });

  it.each(['sixteen-chars-xx', 'a/b', 'eth 0', '.', '..', ''])('interface %j is refused', (name) => {
    expect(problems({ dhcp: { interfaces: [name] } })[0]).toMatch(
      /^dhcp\.interfaces\[0\]: expected a network interface name/,
    );
  });

  it('an interface named twice is refused', () => {
    expect(problems({ dhcp: { interfaces: ['eth1', 'eth2', 'eth1'] } })).toEqual([
      'dhcp.interfaces: lists "eth1" more than once',
    ]);
  });

  it('MACs, host names and domains come out canonical', () => {
    const subnet = {
      subnet: '10.0.0.0/24',
      domain: 'Lab.Example.ORG',
      reservations: [{ mac: '52-54-00-AB-CD-EF', ip: '10.0.0.5', hostname: 'Node01' }],
    };
    const [loaded] = load({ dhcp: { subnets: [subnet] } }).dhcp.subnets;
    expect(loaded?.domain).toBe('lab.example.org');
    expect(loaded?.reservations).toEqual([{ mac: '52:54:00:ab:cd:ef', ip: '10.0.0.5', hostname: 'node01' }]);
  });

  const DNS_NAME = 'a DNS name such as node01 or lab.example.org (RFC 1123)';
  it.each([
    ['bad_name', DNS_NAME],
    ['-node', DNS_NAME],
    ['node-', DNS_NAME],
    ['a..b', DNS_NAME],
    ['node01.', DNS_NAME],
    [' node01', DNS_NAME],
    ['x'.repeat(64), 'a DNS name whose dot-separated labels have at most 63 characters each (RFC 1123)'],
    ['10.0.0.5', 'a name, not an address: the last label of a DNS name is not all digits (RFC 1123 §2.1)'],
  ])('host name %j is refused: expected %s', (hostname, expected) => {
    const subnet = {
      subnet: '10.0.0.0/24',
      reservations: [{ mac: '52:54:00:00:00:01', ip: '10.0.0.5', hostname }],
    };
    expect(problems({ dhcp: { subnets: [subnet] } })).toEqual([
      `dhcp.subnets[0].reservations[0].hostname: expected ${expected}, got ${JSON.stringify(hostname)}`,
    ]);
  });

  it('a domain is checked as a host name is', () => {
    expect(problems({ dhcp: { subnets: [{ subnet: '10.0.0.0/24', domain: '192.0.2.1' }] } })).toEqual([
      'dhcp.subnets[0].domain: expected a name, not an address: the last label of a DNS name is not all digits ' +
        '(RFC 1123 §2.1), got "192.0.2.1"',
    ]);
  });

  it.each([
    ['subnet', '10.0.0.0/33', 'CIDR notation such as 192.0.2.0/24'],
    ['subnet', '10.0.0.5/24', 'the network address 10.0.0.0/24'],
    ['router', '10.0.0.256', 'a dotted quad such as 192.0.2.10'],
    ['router', '10.0.0.01', 'a dotted quad such as 192.0.2.10'],
  ])('%s %j: expected %s', (key, value, expected) => {
    const subnet = { subnet: '10.0.0.0/24', [key]: value };
    expect(problems({ dhcp: { subnets: [subnet] } })).toEqual([
      `dhcp.subnets[0].${key}: expected ${expected}, got ${JSON.stringify(value)}`,
    ]);
  });

  it('a reservation needs a MAC and an address', () => {
    expect(
      problems({ dhcp: { subnets: [{ subnet: '10.0.0.0/24', reservations: [{ hostname: 'x' }] }] } }),
    ).toEqual([
      'dhcp.subnets[0].reservations[0].mac: required, expected a MAC address such as 52:54:00:12:34:56',
      'dhcp.subnets[0].reservations[0].ip: required, expected an IPv4 address such as 192.0.2.10',
    ]);
  });
});
