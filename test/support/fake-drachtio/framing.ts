/**
 * drachtio's framing: `<byte length>#<payload>`, nothing between frames. A frame may arrive
 * split over several TCP reads and several frames in one read, so bytes are buffered and the
 * length counts UTF-8 bytes, not characters (a Cyrillic header makes the two differ).
 */
export class FrameReader {
  private buffer = Buffer.alloc(0);

  /** Feeds bytes; returns complete payloads, or throws on a prefix that is not a number. */
  push(chunk: Buffer): string[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buffer.indexOf('#');
      if (hash === -1) {
        // drachtio-server reads at most 5 digits before giving up on a prefix.
        if (this.buffer.length > 5) throw new FramingError(this.buffer.toString('utf8', 0, 16));
        return out;
      }
      const prefix = this.buffer.toString('utf8', 0, hash);
      if (!/^\d{1,5}$/.test(prefix)) throw new FramingError(prefix);
      const length = Number(prefix);
      const end = hash + 1 + length;
      if (this.buffer.length < end) return out;
      out.push(this.buffer.toString('utf8', hash + 1, end));
      this.buffer = this.buffer.subarray(end);
    }
  }
}

export class FramingError extends Error {
  constructor(readonly raw: string) {
    super(`bad length prefix: ${JSON.stringify(raw)}`);
  }
}

export function encodeFrame(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}

/** drachtio-server's time stamp: time of day with microseconds, no date. */
export function stackTime(now = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
}
