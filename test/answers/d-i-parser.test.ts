import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilterError } from '../../src/answers/filter-error.js';
import { preseed } from '../../src/answers/filters.js';
import { renderAnswerFile } from '../../src/answers/render.js';
import { loadAnswerTemplate, type AnswerTemplate } from '../../src/answers/template.js';
import { parsePreseed } from '../../src/answers/validate-preseed.js';
import { diPreseedParser, type DiParse } from './d-i-parser.js';
import { sampleContext } from './sample.js';

// The preseed validator and the built-in template against debian-installer 12's own parser.

let dir: string;
let diParse: (preseed: string) => DiParse;
let template: AnswerTemplate;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-d-i-'));
  diParse = diPreseedParser(dir);
  template = await loadAnswerTemplate('debian-preseed');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What parsePreseed says d-i does: the questions and values, or an error. */
function ours(preseed: string): DiParse {
  const { entries, problems } = parsePreseed(preseed);
  return problems.length > 0
    ? { error: problems[0]?.message ?? '' }
    : { set: entries.map((e): [string, string] => [e.question, e.value]) };
}

describe("debian-installer's parser", () => {
  it('reads the rendered debian-preseed as the validator does', () => {
    const text = renderAnswerFile(template, 'preseed.cfg', sampleContext()).text;
    const di = diParse(text);
    expect(di).toEqual(ours(text));
    expect('set' in di && di.set.length).toBeGreaterThan(40);
  });

  it.each([
    ['d-i a/b string x \\\n   continued \\\n\tand ended\n'],
    ['d-i a/b string \t spaced value\t \n'],
    ['d-i a/b string\n'],
    ['d-i a/b string x \\\n# a comment inside\n  y\n'],
    ['\n\t\n#comment\nd-i a/b boolean true\n'],
  ])('agrees with the validator on %j', (preseed) => {
    const di = diParse(preseed);
    expect('set' in di).toBe(true);
    expect(di).toEqual(ours(preseed));
  });

  it('stops on a line without a question, as the validator does', () => {
    expect('error' in diParse('d-i\n')).toBe(true);
    expect('error' in ours('d-i\n')).toBe(true);
  });

  it('takes an indented # for an owner, which the validator refuses', () => {
    expect(diParse('  # an indented comment\n')).toEqual({ set: [['an', 'comment']] });
    const validated = ours('  # an indented comment\n');
    expect('error' in validated && validated.error).toMatch(/is not "owner question/);
  });

  it('reads any value the preseed filter lets through as that one value', () => {
    const value = fc.oneof(
      fc.string({
        unit: fc.constantFrom(
          ' ',
          '\t',
          '\\',
          '\n',
          '#',
          'd-i ',
          'x/y ',
          'string ',
          '\u00a0',
          '$(reboot)',
          '"',
        ),
        maxLength: 10,
      }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    fc.assert(
      fc.property(value, (text) => {
        let written: string;
        try {
          written = preseed(text);
        } catch (error) {
          expect(error).toBeInstanceOf(FilterError);
          return;
        }
        expect(diParse(`d-i a/b string ${written}\nd-i c/d string after\n`)).toEqual({
          set: [
            ['a/b', text.replace(/^[ \t]+/, '')],
            ['c/d', 'after'],
          ],
        });
      }),
      { numRuns: 40 },
    );
  });
});
