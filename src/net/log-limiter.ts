import type { Clock } from './clock.js';

export interface LogRate {
  /** Lines allowed per second on average. */
  readonly perSecond: number;
  /** Lines allowed at once after a quiet period. */
  readonly burst: number;
}

/**
 * A token bucket for log lines about packets (reliability-catalogue I5): 10⁵ garbage datagrams produce at most
 * `burst + perSecond × seconds` lines, whatever their rate. The next line written says how many were suppressed
 * since the previous one, so nothing vanishes without a trace.
 */
export class LogRateLimiter {
  private tokens: number;
  private last: number;
  private suppressed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rate: LogRate,
  ) {
    this.tokens = rate.burst;
    this.last = clock.monotonic();
  }

  /** The number of lines suppressed since the last allowed one, or undefined when this line must be dropped. */
  take(): number | undefined {
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.last) / 1000) * this.rate.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed += 1;
      return undefined;
    }
    this.tokens -= 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return suppressed;
  }
}

/**
 * C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything that could end or rewrite a log
 * line on a terminal or in a text log (reliability-catalogue I5: "log lines escape control characters").
 */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * Text from the wire made safe for a log line: controls as \xNN / \uNNNN, a backslash doubled (so the escapes are
 * unambiguous), and at most `maxLength` characters.
 */
export function escapeControl(text: string, maxLength = 200): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  let out = '';
  for (const ch of cut) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (!isControl(code)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u${code.toString(16)}`;
  }
  return out;
}
