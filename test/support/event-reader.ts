// A text/event-stream body read event by event, as a browser's EventSource would (comments skipped).
export interface ServerSentEvent {
  event: string;
  data: string;
}

export class EventReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async next(): Promise<ServerSentEvent> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) continue;
        const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? 'message';
        const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).replace(/^ /, '')).join('\n');
        return { event, data };
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error('the stream ended');
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next event of type `event`, skipping others. */
  async nextOf(event: string): Promise<ServerSentEvent> {
    for (;;) {
      const next = await this.next();
      if (next.event === event) return next;
    }
  }

  close(): Promise<void> {
    return this.reader.cancel();
  }
}
