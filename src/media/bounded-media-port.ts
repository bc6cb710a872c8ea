import type { Logger } from 'pino';
import { errorMessage, MediaUnavailableError } from '../errors.js';
import { realTimers, type CreateEndpointRequest, type MediaEndpoint, type MediaPort, type RecordingRequest, type Timers } from './media-port.js';

export interface MediaBounds {
  /** Longest any signalling-like operation may take (create, modify, bridge, record, destroy). */
  timeoutMs: number;
  /** Longest a prompt may play before the call goes on without it. */
  promptTimeoutMs: number;
}

/**
 * Wraps a MediaPort so every operation ends within calltrack's own time limit and fails with a
 * MediaUnavailableError that says what failed. A frozen FreeSWITCH keeps its TCP connections up,
 * so without this the caller would hear nothing until SIP timer B gives up after 32 s.
 * An endpoint that turns up after its creation timed out is destroyed, never leaked.
 */
export function boundMediaPort(inner: MediaPort, bounds: MediaBounds, logger: Logger, timers: Timers = realTimers): MediaPort {
  function bounded<T>(what: string, ms: number, op: () => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new MediaUnavailableError(`FreeSWITCH did not complete ${what} within ${ms} ms`));
      }, ms);
      let started: Promise<T>;
      try {
        started = op();
      } catch (err) {
        started = Promise.reject(err as Error);
      }
      started.then(
        (value) => {
          if (settled) {
            onLate?.(value);
            return;
          }
          settled = true;
          timers.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) {
            logger.debug({ err: errorMessage(err), op: what }, 'media operation failed after its timeout');
            return;
          }
          settled = true;
          timers.clearTimeout(timer);
          reject(err instanceof MediaUnavailableError ? err : new MediaUnavailableError(`FreeSWITCH ${what} failed: ${errorMessage(err)}`, err));
        },
      );
    });
  }

  const destroyLate = (ep: MediaEndpoint): void => {
    logger.warn({ endpoint: ep.id }, 'FreeSWITCH created an endpoint after calltrack gave up on it; destroying it');
    void inner.destroy(ep);
  };

  return {
    availability: () => inner.availability(),
    createEndpoint: (req: CreateEndpointRequest) =>
      bounded(req.remoteSdp ? 'endpoint creation' : 'endpoint creation (3pcc)', bounds.timeoutMs, () => inner.createEndpoint(req), destroyLate),
    modify: (ep, sdp) => bounded('re-INVITE of the endpoint', bounds.timeoutMs, () => inner.modify(ep, sdp)),
    bridge: (a, b) => bounded('bridge', bounds.timeoutMs, () => inner.bridge(a, b)),
    startRecording: (ep, req: RecordingRequest) => bounded('record_session', bounds.timeoutMs, () => inner.startRecording(ep, req)),
    stopRecording: (ep, path) => bounded('stop_record_session', bounds.timeoutMs, () => inner.stopRecording(ep, path)),
    play: (ep, file) => bounded(`playback of ${file}`, bounds.promptTimeoutMs, () => inner.play(ep, file)),
    destroy: async (ep) => {
      try {
        await bounded('hangup of the endpoint', bounds.timeoutMs, () => inner.destroy(ep));
      } catch (err) {
        // Destroy never fails the call; FreeSWITCH drops the channel when its own RTP timeout fires.
        logger.warn({ endpoint: ep.id, err: errorMessage(err) }, 'could not confirm the FreeSWITCH channel is gone');
      }
    },
  };
}
