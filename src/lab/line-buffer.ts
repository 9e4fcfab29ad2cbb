// The captured output of one stream of a lab process, as lines. tcpdump or a QEMU serial console print for
// minutes in small chunks, so appending a chunk costs only the chunk (no re-split of everything held), a waiter
// scans each line once (by its absolute index), and the memory is bounded: past the cap the oldest lines are
// dropped, while new lines keep arriving and keep being matched.

/** Characters kept per stream; a chatty process (tcpdump -v) must not grow a test's memory without bound. */
export const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;
/** A longer line (a console that never prints a newline) is split, so one line cannot defeat the cap. */
export const MAX_LINE_CHARS = 64 * 1024;

export class LineBuffer {
  /** Complete lines; those before `head` are dropped and wait for the next compaction. */
  private held: string[] = [];
  private head = 0;
  /** Lines dropped from the front (their indices stay taken: line i is always the i-th line printed). */
  private dropped = 0;
  /** Characters of the held lines (each with its newline) and of the partial line. */
  private chars = 0;
  private partial = '';

  constructor(
    private readonly maxChars = MAX_OUTPUT_CHARS,
    private readonly maxLineChars = MAX_LINE_CHARS,
  ) {}

  /** Lines completed so far, dropped ones included: the index the next complete line will get. */
  get lineCount(): number {
    return this.dropped + this.held.length - this.head;
  }

  /** Index of the oldest line still held (0 until the cap is reached). */
  get firstHeld(): number {
    return this.dropped;
  }

  /**
   * Adds a chunk. The cap is applied first, to what was held before: every line of this chunk is still there
   * for the waiters notified after it, so memory stays within the cap plus one chunk (a pipe read, ≤ 64 KiB).
   */
  append(chunk: string): void {
    this.trim();
    const pieces = chunk.split('\n');
    const last = pieces.pop() ?? '';
    if (pieces.length > 0) {
      const first = pieces[0] ?? '';
      pieces[0] = this.partial + first;
      this.chars -= this.partial.length;
      this.partial = '';
      for (const line of pieces) this.pushLine(line);
    }
    this.partial += last;
    this.chars += last.length;
    while (this.partial.length > this.maxLineChars) {
      const line = this.partial.slice(0, this.maxLineChars);
      this.partial = this.partial.slice(this.maxLineChars);
      this.chars -= line.length;
      this.pushLine(line);
    }
  }

  /** The line with absolute index `index`; undefined when dropped or not complete yet. */
  line(index: number): string | undefined {
    if (index < this.dropped) return undefined;
    return this.held[this.head + index - this.dropped];
  }

  /** The complete lines still held, oldest first (a trailing partial line is left out until its newline). */
  lines(): string[] {
    return this.held.slice(this.head);
  }

  /** The output held, as text: a marker if lines were dropped, the held lines, and the partial line. */
  text(): string {
    const marker = this.dropped > 0 ? `[output truncated: ${this.dropped} earlier lines dropped]\n` : '';
    return `${marker}${this.lines()
      .map((line) => `${line}\n`)
      .join('')}${this.partial}`;
  }

  private pushLine(line: string): void {
    for (let start = 0; ; start += this.maxLineChars) {
      const piece = line.slice(start, start + this.maxLineChars);
      this.held.push(piece);
      this.chars += piece.length + 1;
      if (start + this.maxLineChars >= line.length) return;
    }
  }

  private trim(): void {
    while (this.chars > this.maxChars && this.head < this.held.length) {
      this.chars -= (this.held[this.head]?.length ?? 0) + 1;
      this.head += 1;
      this.dropped += 1;
    }
    // Shift the array only now and then, so dropping a line costs O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }
}
