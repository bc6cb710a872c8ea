import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import type { RecordingFile } from '../calls/recording-access.js';
import type { Clock } from '../clock.js';
import { UnauthorizedError, UnavailableError } from '../errors.js';
import { parseRange } from './file-range.js';

/** How long a recording link minted for the dashboard stays valid (webhooks choose their own). */
export const RECORDING_LINK_TTL_MS = 15 * 60_000;

export interface SignedLink {
  /** Path and query to fetch, e.g. `/v1/recordings/<id>?expires=...&signature=...`. */
  url: string;
  expiresAt: number;
}

/**
 * Short-lived capability URLs for what a browser must fetch without an Authorization header:
 * an `<audio>` element issues its own (range) requests and cannot send one. A link names one
 * resource and an expiry, signed with HMAC-SHA256 under a key derived from http.adminToken, so
 * rotating the token revokes every link at once, and no state is kept on the server.
 */
export class LinkSigner {
  constructor(
    private readonly adminToken: () => string | undefined,
    private readonly clock: Clock,
  ) {}

  recordingLink(callId: string, ttlMs = RECORDING_LINK_TTL_MS): SignedLink {
    const expiresAt = this.clock.now() + ttlMs;
    const expires = String(Math.ceil(expiresAt / 1000));
    const signature = this.sign(recordingResource(callId), expires);
    const query = new URLSearchParams({ expires, signature });
    return { url: `/v1/recordings/${encodeURIComponent(callId)}?${query.toString()}`, expiresAt: Number(expires) * 1000 };
  }

  /** Throws UnauthorizedError unless `signature` is ours for this call and `expires` is in the future. */
  verifyRecording(callId: string, expires: string | undefined, signature: string | undefined): void {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) {
      throw new UnauthorizedError(`this recording link is incomplete: ${NEW_LINK}`);
    }
    const expected = Buffer.from(this.sign(recordingResource(callId), expires), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new UnauthorizedError(`this recording link is not valid (the admin token may have changed): ${NEW_LINK}`);
    }
    if (Number(expires) * 1000 <= this.clock.now()) {
      throw new UnauthorizedError(`this recording link has expired: ${NEW_LINK}`);
    }
  }

  private sign(resource: string, expires: string): string {
    const token = this.adminToken();
    if (!token) {
      throw new UnavailableError('the admin API is closed: set http.adminToken in the configuration and reload');
    }
    // A key of its own (not the token itself), so a signature never doubles as anything else.
    const key = createHmac('sha256', token).update('calltrack signed links v1').digest();
    return createHmac('sha256', key).update(`${resource}\n${expires}`).digest('hex');
  }
}

const recordingResource = (callId: string) => `recording:${callId}`;
const NEW_LINK = 'open the call in the dashboard again for a new one, or fetch /v1/calls/{id}/recording with the admin token';

/**
 * Sends a call's WAV file, honouring a single `Range` (players seek by asking for byte ranges;
 * without 206 answers an `<audio>` element cannot jump ahead). Used by the signed recording
 * links and by the admin API's recording route (Bearer token).
 */
export function sendRecording(reply: FastifyReply, rangeHeader: string | undefined, file: RecordingFile & { callId: string }): FastifyReply {
  const range = parseRange(rangeHeader, file.size);
  void reply
    .header('accept-ranges', 'bytes')
    .header('content-type', 'audio/wav')
    .header('cache-control', 'private, max-age=900')
    .header('content-disposition', `inline; filename="${file.callId.replace(/[^\w.-]/g, '_')}.wav"`);
  if (range.kind === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${file.size}`).send();
  }
  if (range.kind === 'whole') {
    return reply.header('content-length', file.size).send(createReadStream(file.path));
  }
  const { start, end } = range.range;
  return reply
    .status(206)
    .header('content-range', `bytes ${start}-${end}/${file.size}`)
    .header('content-length', end - start + 1)
    .send(createReadStream(file.path, { start, end }));
}
