import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import type { RecordingFile } from '../calls/recording-access.js';
import { parseRange } from './file-range.js';

/**
 * Sends a call's WAV file, honouring a single `Range` (players seek by asking for byte ranges;
 * without 206 answers an `<audio>` element cannot jump ahead). Used by the signed recording
 * links; the admin API's own recording route does the same with the Bearer token.
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
