import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'mediaflow');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** The uuid of the captured channel the templates were cut from. */
const CAPTURED_UUID = '2ed4d060-887b-476e-83b2-7cef417a2df9';

export const SOFIA_STATUS = fixture('sofia-status.txt');
const CHANNEL_DATA = fixture('channel-data.txt');
const UUID_DUMP = fixture('uuid-dump.txt');
const EVENTS = {
  CHANNEL_EXECUTE: JSON.parse(fixture('channel-execute.json')) as Record<string, string>,
  CHANNEL_EXECUTE_COMPLETE: JSON.parse(fixture('channel-execute-complete.json')) as Record<string, string>,
  CHANNEL_CALLSTATE: JSON.parse(fixture('channel-callstate-hangup.json')) as Record<string, string>,
};
const DUMP_UUID = /^Unique-ID: (.+)$/m.exec(UUID_DUMP)?.[1] ?? '';

/** One ESL message: `Key: value` lines, a blank line, and a Content-Length body if any. */
export function eslMessage(headers: Record<string, string | number>, body?: string): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\n')}\n\n${body ?? ''}`;
}

export const reply = (text: string) => eslMessage({ 'Content-Type': 'command/reply', 'Reply-Text': text });
export const apiResponse = (body: string) => eslMessage({ 'Content-Type': 'api/response' }, body);
export const DISCONNECT_NOTICE = (uuid?: string) =>
  eslMessage(
    { 'Content-Type': 'text/disconnect-notice', ...(uuid ? { 'Controlled-Session-UUID': uuid, 'Content-Disposition': 'disconnect' } : {}) },
    'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n',
  );

/** Rewrites `Key: value` lines of a plain-text channel dump (values URL-encoded, as FreeSWITCH sends them). */
function rewritePlain(template: string, fromUuid: string, uuid: string, vars: Record<string, string>): string {
  return template
    .split(fromUuid)
    .join(uuid)
    .split('\n')
    .map((line) => {
      const key = line.slice(0, line.indexOf(': '));
      return key in vars ? `${key}: ${encodeURIComponent(vars[key] ?? '')}` : line;
    })
    .join('\n');
}

export interface ChannelVars {
  uuid: string;
  userAgent: string;
  eslOutbound: string;
  callId: string;
  localSdp: string;
  remoteSdp: string;
  localMediaPort: number;
}

function channelVars(c: ChannelVars): Record<string, string> {
  return {
    variable_sip_user_agent: c.userAgent,
    'variable_sip_h_X-esl-outbound': c.eslOutbound,
    variable_sip_call_id: c.callId,
    variable_rtp_local_sdp_str: c.localSdp,
    variable_switch_r_sdp: c.remoteSdp,
    variable_local_media_port: String(c.localMediaPort),
    variable_current_application_data: `${c.eslOutbound} async full`,
  };
}

/** The command/reply carrying CHANNEL_DATA that answers the application's `connect`. */
export function channelDataReply(c: ChannelVars): string {
  return rewritePlain(CHANNEL_DATA, CAPTURED_UUID, c.uuid, channelVars(c));
}

export function uuidDump(c: ChannelVars): string {
  return rewritePlain(UUID_DUMP, DUMP_UUID, c.uuid, channelVars(c));
}

/** A text/event-json event from the captured template of its kind, for this channel. */
export function jsonEvent(name: keyof typeof EVENTS, uuid: string, fields: Record<string, string | undefined>): string {
  const event: Record<string, string> = { ...EVENTS[name], 'Event-Name': name };
  for (const [k, v] of Object.entries(event)) if (typeof v === 'string' && v.includes(CAPTURED_UUID)) event[k] = v.split(CAPTURED_UUID).join(uuid);
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete event[k];
    else event[k] = v;
  }
  const body = JSON.stringify(event);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
}

/** Splits the application's commands (`line\nHeader: v\n\n`) off a byte stream. */
export class CommandReader {
  private buffer = '';

  push(chunk: Buffer): { line: string; headers: Record<string, string> }[] {
    this.buffer += chunk.toString('utf8');
    const out: { line: string; headers: Record<string, string> }[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const [line = '', ...rest] = this.buffer.slice(0, end).split('\n');
      this.buffer = this.buffer.slice(end + 2);
      const headers: Record<string, string> = {};
      for (const h of rest) headers[h.slice(0, h.indexOf(':'))] = h.slice(h.indexOf(':') + 1).trim();
      out.push({ line, headers });
    }
    return out;
  }
}
