import type { Logger } from '../observability/logger.js';
import type { Clock } from './clock.js';

/**
 * Per-packet debug lines of the TFTP server, rate-limited (reliability-catalogue I5: 10⁵ garbage datagrams produce
 * a bounded number of lines) by a token bucket: `burst` lines at once, then `perSecond`. The next line written
 * carries `suppressed`, the count of lines left out since the previous one, so nothing vanishes without a trace.
 */
export class TftpPacketLog {
  private tokens: number;
  private last: number;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly perSecond = 20,
    private readonly burst = 50,
  ) {
    this.tokens = burst;
    this.last = clock.monotonic();
  }

  debug(fields: Record<string, unknown>, message: string): void {
    if (!this.logger.isLevelEnabled('debug')) return;
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed += 1;
      return;
    }
    this.tokens -= 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.debug(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}

/**
 * Text from the wire (a file name, a peer's ERROR message: catalogue T17, CVE-2008-2161 class) made safe for a
 * log line: control characters (C0, DEL, C1) and the backslash escaped as \xNN, cut to `maxLength` characters. The
 * codec maps one octet to one character, so every character is at most U+00FF.
 */
export function escapeWireText(text: string, maxLength = 128): string {
  const cut = text.length > maxLength ? text.slice(0, maxLength) : text;
  let out = '';
  for (const ch of cut) {
    const code = ch.charCodeAt(0);
    const control = code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code > 0xff;
    out += ch === '\\' ? '\\\\' : control ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return text.length > maxLength ? `${out}…` : out;
}
