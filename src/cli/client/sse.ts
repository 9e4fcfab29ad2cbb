// Server-Sent Events as the WHATWG HTML standard parses them (§9.2.6 "Interpreting an event stream"): lines end
// in CRLF, LF or CR; `field: value` with one optional space after the colon; `:` starts a comment; a blank line
// dispatches the message gathered so far, if it has data. Pure: text in, messages out.

export interface SseMessage {
  /** The last event id the stream set (what a reconnect sends as Last-Event-ID). */
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  private pending = '';
  /** The last text ended in CR: an LF that starts the next one is the rest of that CRLF. */
  private afterCr = false;
  private data: string[] = [];
  private event = '';
  private lastId: string | undefined;
  /** The reconnection time the server asked for (`retry:`), in milliseconds. */
  retryMs: number | undefined;

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    if (text === '') return [];
    const rest = this.afterCr && text.startsWith('\n') ? text.slice(1) : text;
    this.afterCr = text.endsWith('\r');
    this.pending += rest;
    const messages: SseMessage[] = [];
    const lines = this.pending.split(/\r\n|\r|\n/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const message = this.line(line);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { id: this.lastId, event: event === '' ? 'message' : event, data: data.join('\n') };
  }
}
