import { Counter, Gauge, type Registry } from 'prom-client';
import type { CallStatus } from '../calls/call-record.js';

export type RejectReason = 'untrusted-source' | 'unknown-number' | 'shutting-down' | 'error';

/** Prometheus counters for the SIP path, registered on the app's registry (GET /metrics). */
export class SipMetrics {
  private readonly calls: Counter<'status'>;
  private readonly rejected: Counter<'reason'>;
  private readonly options: Counter<'result'>;
  private readonly active: Gauge;

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'calltrack_calls_total',
      help: 'Calls that ended, by final status (answered, busy, no-answer, canceled, failed, rejected)',
      labelNames: ['status'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'calltrack_sip_invites_rejected_total',
      help: 'INVITEs refused before forwarding, by reason (untrusted-source is a security event)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.options = new Counter({
      name: 'calltrack_sip_options_total',
      help: 'OPTIONS keepalives answered, by result (ok for trunks, forbidden for others)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.active = new Gauge({ name: 'calltrack_calls_active', help: 'Calls in progress', registers: [registry] });
  }

  callStarted(): void {
    this.active.inc();
  }

  callEnded(status: CallStatus): void {
    this.active.dec();
    this.calls.inc({ status });
  }

  inviteRejected(reason: RejectReason): void {
    this.rejected.inc({ reason });
    if (reason === 'unknown-number') this.calls.inc({ status: 'rejected' });
  }

  optionsAnswered(ok: boolean): void {
    this.options.inc({ result: ok ? 'ok' : 'forbidden' });
  }
}
