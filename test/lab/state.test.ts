import { describe, expect, it } from 'vitest';
import { parseLabTag } from '../../src/lab/names.js';
import {
  type LabRecord,
  parseRecord,
  serializeRecord,
  stateFileName,
  sweepFileName,
  tagOfStateFile,
} from '../../src/lab/state.js';

const tag = parseLabTag('fblk3x9q');
const record: LabRecord = {
  version: 1,
  tag,
  name: 'dhcp basics',
  owner: { pid: 4242, startTime: 123456 },
  namespaces: ['fblk3x9q-sw0', 'fblk3x9q-client'],
  processes: [{ pid: 4300, startTime: 123999 }],
};

function mutate(change: (r: Record<string, unknown>) => void): string {
  const r = JSON.parse(serializeRecord(record)) as Record<string, unknown>;
  change(r);
  return JSON.stringify(r);
}

describe('lab state records', () => {
  it('round-trips through its file format', () => {
    expect(parseRecord(serializeRecord(record))).toEqual(record);
  });

  it.each([
    ['a namespace of another lab', (r: Record<string, unknown>) => (r['namespaces'] = ['fblzzzzz-sw0'])],
    ['a namespace without the prefix', (r: Record<string, unknown>) => (r['namespaces'] = ['eth0'])],
    ['another tool’s namespace', (r: Record<string, unknown>) => (r['namespaces'] = ['fbcap-srv'])],
    ['a path in a namespace name', (r: Record<string, unknown>) => (r['namespaces'] = ['fblk3x9q-../x'])],
    ['pid 1 as a process', (r: Record<string, unknown>) => (r['processes'] = [{ pid: 1, startTime: 0 }])],
    ['a fractional pid', (r: Record<string, unknown>) => (r['owner'] = { pid: 4.5, startTime: 1 })],
    ['a missing start time', (r: Record<string, unknown>) => (r['owner'] = { pid: 10 })],
    ['an unknown version', (r: Record<string, unknown>) => (r['version'] = 2)],
    ['a bad tag', (r: Record<string, unknown>) => (r['tag'] = 'eth0')],
    ['no namespace list', (r: Record<string, unknown>) => delete r['namespaces']],
    ['no name', (r: Record<string, unknown>) => (r['name'] = 7)],
  ])('refuses a record with %s', (_what, change) => {
    expect(() => parseRecord(mutate(change))).toThrow();
  });

  it('refuses text that is not a JSON object', () => {
    expect(() => parseRecord('[]')).toThrow(/not a JSON object/);
    expect(() => parseRecord('{"version":1,')).toThrow();
  });

  it('names state files after the tag, and claimed ones after the sweeper too', () => {
    expect(stateFileName(tag)).toBe('fblk3x9q.json');
    expect(sweepFileName(tag, 77)).toBe('fblk3x9q.sweep-77.json');
    expect(tagOfStateFile('fblk3x9q.json')).toBe(tag);
    expect(tagOfStateFile('fblk3x9q.sweep-77.json')).toBe(tag);
  });

  it.each([
    ['fblk3x9q.json.4242.tmp'],
    ['fblk3x9.json'],
    ['other.json'],
    ['fblk3x9q.sweep-.json'],
    ['fblk3x9q'],
  ])('ignores %s, which is not a state file', (file) => {
    expect(tagOfStateFile(file)).toBeUndefined();
  });
});
