import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RecordingDirs } from './media-policy.js';

export interface RecordingLocation {
  /** Relative to the recordings directory: what the calls row stores (`2026/11/23/<call>.wav`). */
  relative: string;
  /** Where calltrack reads it. */
  local: string;
  /** The absolute path handed to record_session. */
  freeswitch: string;
}

/** One file per call under YYYY/MM/DD (UTC) of the call's start, named by the call id. */
export function recordingLocation(dirs: RecordingDirs, callId: string, startedAt: number): RecordingLocation {
  const d = new Date(startedAt);
  const day = [String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())];
  // SIP Call-IDs may hold '@', '/', and worse; keep file names portable.
  const name = `${callId.replace(/[^A-Za-z0-9._-]/g, '_')}.wav`;
  const relative = [...day, name].join('/');
  return {
    relative,
    local: path.join(dirs.local, ...day, name),
    freeswitch: path.posix.join(dirs.freeswitch, ...day, name),
  };
}

/** Creates the day directory on calltrack's side of the shared volume before FreeSWITCH writes. */
export async function prepareRecordingDir(loc: RecordingLocation): Promise<void> {
  await mkdir(path.dirname(loc.local), { recursive: true });
}

export interface RecordingFileInfo {
  size: number;
  /** Seconds of audio from the WAV header; null if the header is not (yet) a finished WAV. */
  durationSeconds: number | null;
}

/** Size and duration of a finished recording, or undefined if there is no file. */
export async function readRecordingInfo(file: string): Promise<RecordingFileInfo | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    return { size, durationSeconds: wavDurationSeconds(head, size) };
  } finally {
    await fh.close();
  }
}

/**
 * Duration from the RIFF header: data bytes / byte rate. FreeSWITCH fills the sizes in when it
 * closes the file; a file still being written has a zero data size, so fall back to the file size.
 */
export function wavDurationSeconds(head: Buffer, fileSize: number): number | null {
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return null;
  let byteRate = 0;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('ascii', offset, offset + 4);
    const len = head.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= head.length) byteRate = head.readUInt32LE(offset + 16);
    if (id === 'data') {
      if (byteRate === 0) return null;
      const dataBytes = len > 0 ? Math.min(len, fileSize - offset - 8) : fileSize - offset - 8;
      return Math.round((dataBytes / byteRate) * 100) / 100;
    }
    offset += 8 + len + (len % 2);
  }
  return null;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
