/**
 * "The caller hung up" (or calltrack is shutting down) as a flag plus listeners, so every
 * await in a call session can check it afterwards and the dialer can CANCEL the target the
 * moment it happens. Registered on req 'cancel' before the first await (drachtio-srf#113:
 * a CANCEL that arrives during a lookup is otherwise lost).
 */
export class CancelSignal {
  private fired: 'caller' | 'system' | undefined;
  private readonly listeners = new Set<() => void>();

  get canceled(): boolean {
    return this.fired !== undefined;
  }

  get by(): 'caller' | 'system' | undefined {
    return this.fired;
  }

  fire(by: 'caller' | 'system'): void {
    if (this.fired) return;
    this.fired = by;
    for (const listener of [...this.listeners]) listener();
  }

  /** Runs `listener` on cancel (at once if already canceled); returns an unsubscribe. */
  onCancel(listener: () => void): () => void {
    if (this.fired) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
