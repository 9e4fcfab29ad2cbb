import type { AnswerFormat } from '../inventory/profile.js';
import type { AnswerProblem } from './problem.js';
import { validateMetaData, validateUserData, validateYamlFile } from './validate-autoinstall.js';
import { validateKickstart } from './validate-kickstart.js';
import { parsePreseed } from './validate-preseed.js';

/** The validator of one rendered file of a format: the last gate before a machine gets it. */
export function validateAnswerFile(format: AnswerFormat, file: string, text: string): AnswerProblem[] {
  switch (format) {
    case 'preseed':
      return parsePreseed(text).problems;
    case 'kickstart':
      return validateKickstart(text);
    case 'autoinstall':
      if (file === 'user-data') return validateUserData(text);
      if (file === 'meta-data') return validateMetaData(text);
      return validateYamlFile(text);
  }
}
