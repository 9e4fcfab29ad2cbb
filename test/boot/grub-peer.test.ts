import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BootPlan } from '../../src/boot/boot-plan.js';
import { BootConfigTextError } from '../../src/boot/config-text.js';
import { renderGrub } from '../../src/boot/render-grub.js';

// GRUB's own parser on what renderGrub writes: grub-script-check (Debian's grub-common, installed by
// scripts/setup-test.sh) reads a grub.cfg with the lexer and parser GRUB boots with and fails on a syntax error.
// The values are the nastiest GRUB has: quotes, $ expansions, ; { } # and backslashes.

const hostile = fc.string({
  unit: fc.constantFrom(...'ab \'"$;{}#\\|&<>()`*?[]=-/~'.split('')),
  maxLength: 30,
});

// Kernel arguments may not hold quotes or backslashes (values/boot-text.ts), so they are drawn from the rest.
const hostileArgs = fc.string({
  unit: fc.constantFrom(...'ab $;{}#|&<>()`*?[]=-/~'.split('')),
  maxLength: 30,
});

function grubScriptCheck(script: string): { ok: boolean; output: string } {
  try {
    execFileSync('grub-script-check', [], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
    return { ok: true, output: '' };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}` };
  }
}

describe('renderGrub against grub-script-check', () => {
  it('is a control: the checker refuses an unterminated quote', () => {
    expect(grubScriptCheck("menuentry 'a {\n}\n").ok).toBe(false);
  });

  it('writes valid GRUB script for any title, label and arguments', () => {
    const plans = fc.sample(
      fc.record({ title: hostile, label: hostile, args: hostileArgs, local: hostile }),
      {
        numRuns: 300,
        seed: 4,
      },
    );
    const scripts = plans.flatMap((v) => {
      const plan: BootPlan = {
        title: v.title,
        entries: [
          {
            kind: 'linux',
            id: 'linux',
            label: v.label,
            kernel: 'boot/vmlinuz',
            initrds: ['boot/initrd.gz'],
            args: v.args,
          },
          { kind: 'local', id: 'local', label: v.local },
        ],
        timeoutSeconds: 5,
      };
      try {
        return [renderGrub(plan)];
      } catch (error) {
        if (error instanceof BootConfigTextError) return [];
        throw error;
      }
    });
    expect(scripts.length).toBeGreaterThan(250);
    const result = grubScriptCheck(scripts.join(''));
    expect(result.ok, result.output).toBe(true);
  });
});
