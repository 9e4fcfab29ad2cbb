import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '../../src/values/brand.js';
import { isSecretName, redactCredentials } from '../../src/values/redact.js';

const CANARY = 'c4nary-Pw';

describe('redactCredentials', () => {
  it.each([
    ['postgres://fb:hunter2@db.example/fleet', 'postgres://fb:***@db.example/fleet'],
    ['postgres://fb:hunter2@/fleet', 'postgres://fb:***@/fleet'],
    ['postgresql://fb:hunter2@[::1]:5433/fleet', 'postgresql://fb:***@[::1]:5433/fleet'],
    ['mysql://user:hunter2@…', 'mysql://user:***@…'],
    ['http://admin:s3cret@192.0.2.1:8080/boot', 'http://admin:***@192.0.2.1:8080/boot'],
    // Unencoded separators in the password: the userinfo ends at the last `@`, so no tail of it is left.
    ['postgres://fb:p@ss/w#rd x@db/fleet', 'postgres://fb:***@db/fleet'],
    ['postgres://fb:@db/fleet', 'postgres://fb:***@db/fleet'],
    // Secret query parameters (libpq and node-postgres read them) and libpq key=value strings.
    ['postgres:///fleet?host=/run/pg&password=hunter2', 'postgres:///fleet?host=/run/pg&password=***'],
    [
      'postgres://db/x?sslpassword=hunter2&sslmode=require',
      'postgres://db/x?sslpassword=***&sslmode=require',
    ],
    ['host=db password=hunter2 dbname=fleet', 'host=db password=*** dbname=fleet'],
    ["host=db password='hunter 2' dbname=fleet", 'host=db password=*** dbname=fleet'],
    ['api_token=abc&x=1', 'api_token=***&x=1'],
    ['Key=abc', 'Key=***'],
  ])('%s → %s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });

  it.each([
    'sqlite',
    'sqlite:/var/lib/fleetboot/x.db',
    'postgres://fleetboot@db.example/fleetboot',
    'postgres:///fleet?host=/var/run/postgresql',
    'http://192.0.2.1:8080',
    'https://boot.example/fleetboot',
    '10.0.0.5',
    'node01.lab.example.org',
    'host=db dbname=fleet',
  ])('leaves %s as it is: nothing secret in it', (input) => {
    expect(redactCredentials(input)).toBe(input);
  });

  it('masks every URL of a text', () => {
    const text = `Unexpected scalar: "postgres://a:${CANARY}@db/x"\nand "http://b:${CANARY}@h/"`;
    const redacted = redactCredentials(text);
    expect(redacted).not.toContain(CANARY);
    expect(redacted).toContain('postgres://a:***@');
    expect(redacted).toContain('http://b:***@h/');
  });
});

describe('isSecretName', () => {
  it.each([
    'password',
    'PASSWORD',
    'dbPass',
    'passphrase',
    'secret',
    'clientSecret',
    'token',
    'apiToken',
    'key',
    'sshKeys',
    'API_KEY',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(['store', 'publicUrl', 'dataDir', 'listen', 'hostname', 'mac', 'leaseTime'])(
    '%s is not',
    (name) => {
      expect(isSecretName(name)).toBe(false);
    },
  );
});

describe('InvalidValueError', () => {
  it('never carries a password, in its message or in its fields', () => {
    const error = new InvalidValueError('store', `mysql://user:${CANARY}@db/fleet`, 'a postgres:// URL');
    expect(error.message).toBe('invalid store "mysql://user:***@db/fleet": expected a postgres:// URL');
    expect(error.input).toBe('mysql://user:***@db/fleet');
    // What a JSON logger writes of it: every own field and the message.
    const fields = Object.fromEntries(Object.entries(error));
    expect(JSON.stringify({ ...fields, message: error.message, stack: error.stack })).not.toContain(CANARY);
  });
});
