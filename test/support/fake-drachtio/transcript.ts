import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameRecord } from './fake-drachtio-server.js';

/** Copies of /work/shared/wire/drachtio (captured from drachtio-server v0.9.10), kept with the tests. */
export const TRANSCRIPT_DIR = path.resolve(import.meta.dirname, '../../fixtures/wire/drachtio');

export interface TranscriptLine {
  t_ms: number;
  dir: 'app->server' | 'server->app';
  len?: number;
  payload?: string;
  event?: 'connect' | 'close';
  error?: string;
  raw?: string;
}

export function loadTranscript(name: string): TranscriptLine[] {
  const text = readFileSync(path.join(TRANSCRIPT_DIR, `${name}.jsonl`), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TranscriptLine);
}

/**
 * What must match between a capture and the fake: per token, words stay (types, OK/NO/NOK and
 * their texts, "application", "udp", "Msg sent:"), numbers become #, everything that differs per
 * run (ids, addresses, times, dialog ids) becomes *, empty stays empty; plus the SIP start line's
 * method or status. Token counts and empty positions are what drachtio-srf parses by index.
 */
export function frameShape(payload: string): string {
  const lineEnd = payload.indexOf('\r\n');
  const first = lineEnd === -1 ? payload : payload.slice(0, lineEnd);
  const sip = lineEnd === -1 ? '' : payload.slice(lineEnd + 2).split('\r\n')[0] ?? '';
  const tokens = first.split('|').slice(1).map((t) => (t === '' ? '' : /^[A-Za-z][A-Za-z :-]*$/.test(t) ? t : /^\d+$/.test(t) ? '#' : '*'));
  const sipShape = !sip ? '' : sip.startsWith('SIP/2.0') ? ` :: ${sip.split(' ')[1]}` : ` :: ${sip.split(' ')[0]}`;
  return tokens.join('|') + sipShape;
}

/**
 * A conversation split into streams whose order does not depend on timing: what the app sent,
 * the server's replies to it (always in the app's order), the SIP traffic the server passed up,
 * and the CDRs. Pings are left out: they run on a timer.
 */
export interface Streams {
  app: string[];
  replies: string[];
  network: string[];
  cdrs: string[];
}

export function streamsOf(frames: Array<Pick<FrameRecord, 'dir' | 'payload'>>): Streams {
  const out: Streams = { app: [], replies: [], network: [], cdrs: [] };
  const pings = new Set<string>();
  for (const f of frames) {
    const tokens = f.payload.split('\r\n')[0]!.split('|');
    if (f.dir === 'app->server') {
      if (tokens[1] === 'ping') pings.add(tokens[0]!);
      else out.app.push(frameShape(f.payload));
    } else if (tokens[1] === 'response') {
      if (!pings.has(tokens[2]!)) out.replies.push(frameShape(f.payload));
    } else if (tokens[1]?.startsWith('cdr:')) out.cdrs.push(frameShape(f.payload));
    else out.network.push(frameShape(f.payload));
  }
  return out;
}

export function transcriptStreams(name: string): Streams {
  const frames = loadTranscript(name).filter((l): l is TranscriptLine & { payload: string } => typeof l.payload === 'string');
  return streamsOf(frames);
}
