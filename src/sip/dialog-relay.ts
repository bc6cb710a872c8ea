import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { HangupSide } from '../calls/call-record.js';
import { errorMessage } from '../errors.js';
import type { MediaPath } from './media-path.js';

/**
 * The answered call: two dialogs joined. A BYE on either ends the other; a re-INVITE on either
 * (hold, codec change) goes through the media path to the other side and its answer comes back.
 * Without a 'modify' listener drachtio-srf would answer re-INVITEs itself with stale SDP.
 */
export class DialogRelay {
  readonly ended: Promise<HangupSide>;
  private finish!: (side: HangupSide) => void;
  private done = false;

  constructor(
    private readonly caller: Srf.Dialog,
    private readonly target: Srf.Dialog,
    private readonly media: MediaPath,
    private readonly logger: Logger,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    caller.on('destroy', () => this.end('caller', target));
    target.on('destroy', () => this.end('callee', caller));
    caller.on('modify', (req, res) => this.reinvite('caller', req, res, target));
    target.on('modify', (req, res) => this.reinvite('target', req, res, caller));
  }

  /** calltrack ends the call (shutdown): BYE to both. */
  hangUp(): void {
    if (this.done) return;
    this.end('system', this.caller);
    this.bye(this.target, 'target');
  }

  private end(side: HangupSide, other: Srf.Dialog): void {
    if (this.done) return;
    this.done = true;
    this.logger.info({ hangupBy: side }, 'call ended');
    this.bye(other, other === this.caller ? 'caller' : 'target');
    this.finish(side);
  }

  private bye(dialog: Srf.Dialog, name: string): void {
    if (!dialog.connected) return;
    dialog.destroy().catch((err: unknown) => this.logger.warn({ err: errorMessage(err), leg: name }, 'BYE failed (the leg may already be gone)'));
  }

  private reinvite(from: 'caller' | 'target', req: Srf.SrfRequest, res: Srf.SrfResponse, other: Srf.Dialog): void {
    this.media
      .reinvite(from, req.body, (sdp) => other.modify(sdp))
      .then(
        (answer) => res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp' } }),
        (err: unknown) => {
          const status = (err as { status?: unknown }).status;
          this.logger.warn({ err: errorMessage(err), from }, 're-INVITE could not be relayed');
          // The other side's refusal (488, 491) is passed back; our own failure is a 500.
          res.send(typeof status === 'number' && status >= 400 ? status : 500);
        },
      );
  }
}
