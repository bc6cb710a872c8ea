import path from 'node:path';
import type { CalltrackConfig } from '../config/schema.js';
import type { MediaRoute } from '../sip/media-path.js';

/** What the media side does for one call, resolved from the config when the call arrives. */
export interface MediaPolicy {
  record: boolean;
  stereo: boolean;
  /** Played to the person who answers, before the parties are connected. */
  whisper?: string;
  /** Played to the caller before the forward is dialled (legal notice that the call is recorded). */
  recordingNotice?: string;
  /** Answered calls with shorter recordings keep them; the row notes it. */
  minRecordingSeconds: number;
  /** Tone or file played while the target rings once the caller is on our media (media.ringback). */
  ringback: string;
}

/**
 * Per-number / per-pool settings override media.recording.enabled; prompts exist only per
 * number or pool. Without FreeSWITCH nothing is anchored, so nothing is recorded either;
 * `anchoring` says whether it runs (configured at start), whatever a reload since says.
 */
export function resolveMediaPolicy(cfg: CalltrackConfig, route: MediaRoute | undefined, anchoring: boolean): MediaPolicy {
  const rec = cfg.media.recording;
  const options =
    route?.kind === 'static'
      ? cfg.numbers.find((n) => n.number === route.number)
      : route?.kind === 'pool'
        ? cfg.pools.find((p) => p.name === route.name)
        : undefined;
  const policy: MediaPolicy = {
    record: anchoring && (options?.record ?? rec.enabled),
    stereo: rec.stereo,
    minRecordingSeconds: rec.minSeconds,
    ringback: cfg.media.ringback,
  };
  if (options?.whisper) policy.whisper = options.whisper;
  if (options?.recordingNotice) policy.recordingNotice = options.recordingNotice;
  return policy;
}

/** Whether a call needs FreeSWITCH at all (recording or a prompt). */
export function needsMedia(policy: MediaPolicy): boolean {
  return policy.record || Boolean(policy.whisper) || Boolean(policy.recordingNotice);
}

/**
 * The recordings directory as calltrack sees it and as FreeSWITCH sees it. With Docker they
 * differ (one shared volume, two mount points); on one host they are the same directory.
 */
export interface RecordingDirs {
  local: string;
  freeswitch: string;
}

export function recordingDirs(cfg: CalltrackConfig, baseDir: string = process.cwd()): RecordingDirs {
  const local = path.resolve(baseDir, cfg.media.recording.dir);
  return { local, freeswitch: cfg.media.recording.freeswitchDir ?? local };
}
