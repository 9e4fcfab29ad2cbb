import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../../src/api/answer-preview.js';

// What the dashboard shows of an answer file (catalogue I7, S06, S13): every value of a secret-named variable, at
// any depth, and every crypt hash, replaced by ***; nothing else touched.

const HASH =
  '$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40';
const YESCRYPT = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7';

describe('maskSecrets', () => {
  it('masks secret-named values wherever they sit, longest first, and every crypt hash', () => {
    const variables = {
      mirrorApiKey: 'k-1234567890',
      proxy: { password: 'hunter2-long', user: 'ops' },
      tokens: ['tok-aaaa', 'tok-aaaa-longer'],
      users: [{ name: 'root', hash: HASH }],
      locale: 'en_US.UTF-8',
    };
    const text = [
      'd-i mirror/http/proxy string http://ops:hunter2-long@proxy:3128/',
      'key=k-1234567890 t1=tok-aaaa t2=tok-aaaa-longer',
      `d-i passwd/root-password-crypted password ${HASH}`,
      `rootpw --iscrypted ${YESCRYPT}`,
      'd-i debian-installer/locale string en_US.UTF-8',
    ].join('\n');
    expect(maskSecrets(text, variables).split('\n')).toEqual([
      'd-i mirror/http/proxy string http://ops:***@proxy:3128/',
      'key=*** t1=*** t2=***',
      'd-i passwd/root-password-crypted password ***',
      'rootpw --iscrypted ***',
      'd-i debian-installer/locale string en_US.UTF-8',
    ]);
  });

  it('leaves values too short to be secrets (a `key: 1` must not mask every 1 of the file)', () => {
    expect(maskSecrets('disk 1 of 10, key 1', { key: 1, passphrase: 'abc' })).toBe('disk 1 of 10, key 1');
  });
});
