import { EventEmitter } from 'node:events';
import type { CalltrackConfig } from './schema.js';

/**
 * The running configuration. Services read `current` when they start a unit of work (a
 * visit, a call) and keep that snapshot for its whole life, so a SIGHUP reload never changes
 * a call in progress.
 */
export class LiveConfig extends EventEmitter<{ change: [CalltrackConfig, CalltrackConfig] }> {
  constructor(private value: CalltrackConfig) {
    super();
  }

  get current(): CalltrackConfig {
    return this.value;
  }

  replace(next: CalltrackConfig): void {
    const previous = this.value;
    this.value = next;
    this.emit('change', next, previous);
  }
}
