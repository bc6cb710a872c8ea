import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import type { CallRecord } from './call-record.js';

export interface RecordingFile {
  path: string;
  size: number;
}

/**
 * The file of a call's recording, from the call row only (a request never names a path), and
 * only inside the recordings directory: the stored path is resolved against it and symlinks are
 * followed before the check, so a row pointing at `../../etc/passwd` or a link out of the
 * directory is refused like a missing file.
 */
export async function resolveRecordingFile(
  call: Pick<CallRecord, 'id' | 'recordingStatus' | 'recordingPath'>,
  recordingDir: string,
): Promise<RecordingFile> {
  if (call.recordingStatus !== 'saved' || !call.recordingPath) {
    throw new NotFoundError(`call ${call.id} has no recording: ${noRecordingReason(call.recordingStatus)}`);
  }
  const missing = new NotFoundError(`call ${call.id}: the recording file is missing from media.recording.dir`);
  let dir: string;
  let file: string;
  try {
    dir = await realpath(recordingDir);
    file = await realpath(path.resolve(dir, call.recordingPath));
  } catch {
    throw missing;
  }
  if (!file.startsWith(dir + path.sep)) throw missing;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw missing;
  return { path: file, size: info.size };
}

function noRecordingReason(status: CallRecord['recordingStatus']): string {
  if (status === 'recording') return 'the call is still being recorded; the file can be played once the call has ended';
  return status ? `its recording is ${status}` : 'it was not recorded';
}
