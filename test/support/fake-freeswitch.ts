import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  apiResponse,
  channelDataReply,
  CommandReader,
  DISCONNECT_NOTICE,
  jsonEvent,
  reply,
  SOFIA_STATUS,
  uuidDump,
  type ChannelVars,
} from './esl-wire.js';
import { stereoWav } from './wav.js';

export interface FakeChannel extends ChannelVars {
  open: boolean;
  socket: Socket | undefined;
  vars: Record<string, string>;
  recording: string | undefined;
  bridgedTo: string | undefined;
  played: string[];
  dialog: FakeFsDialog;
}

/** The SIP dialog between drachtio and a FreeSWITCH channel, as drachtio-srf would hand it to fsmrf. */
export class FakeFsDialog extends EventEmitter {
  readonly sip: { callId: string; localTag: string; remoteTag: string };
  constructor(
    private readonly fs: FakeFreeSwitch,
    readonly channel: FakeChannel,
  ) {
    super();
    this.sip = { callId: channel.callId, localTag: 'app-tag', remoteTag: 'fs-tag' };
  }
  get local() {
    return { sdp: this.channel.remoteSdp };
  }
  get remote() {
    return { sdp: this.channel.localSdp };
  }
  /** re-INVITE from the application: FreeSWITCH takes the new remote SDP and answers. */
  modify(sdp: string): Promise<string> {
    this.fs.sipLog.push(`re-INVITE ${this.channel.uuid}`);
    this.channel.remoteSdp = sdp;
    this.channel.localSdp = this.channel.localSdp.replace('a=recvonly', 'a=sendrecv');
    return Promise.resolve(this.channel.localSdp);
  }
  destroy(): Promise<void> {
    this.fs.sipLog.push(`BYE to FreeSWITCH ${this.channel.uuid}`);
    this.fs.hangup(this.channel, 'NORMAL_CLEARING', false);
    return Promise.resolve();
  }
}

/**
 * FreeSWITCH as drachtio-fsmrf sees it, replaying the mediaflow captures: the inbound event
 * socket (auth, `event json`, `api sofia status`, `exit`), the per-channel outbound socket the
 * dialplan's `socket … async full` opens (connect → CHANNEL_DATA, `event json`, `filter`,
 * `sendmsg` execute → +OK, CHANNEL_EXECUTE, CHANNEL_EXECUTE_COMPLETE; hangup → CHANNEL_CALLSTATE,
 * disconnect notice, BYE; `api uuid_bridge|uuid_dump|uuid_set_media_stats`), and, through
 * `srf`, the SIP side: an INVITE to sip:drachtio@<profile address> creates a channel.
 */
export class FakeFreeSwitch {
  readonly commands: string[] = [];
  readonly sipLog: string[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly missingFiles = new Set<string>();
  password = 'ClueCon';
  /** Set: a recording is written as a WAV of this many seconds when it stops (stop_record_session or hangup). */
  recordedSeconds: number | undefined;
  /** Set: playbacks complete only when this promise settles (a prompt being listened to). */
  playbackGate: Promise<void> | undefined;
  sipAddress = '127.0.0.1:5080';
  private server: Server | undefined;
  private readonly inbound = new Set<Socket>();
  private frozen = false;
  private readonly thawQueue: (() => void)[] = [];
  private nextMediaPort = 32000;

  /** Open channels: `show channels count`. */
  get channelCount(): number {
    return [...this.channels.values()].filter((c) => c.open).length;
  }

  async listen(port = 0): Promise<number> {
    this.server = createServer((s) => this.acceptInbound(s));
    await new Promise<void>((r) => this.server?.listen(port, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  /** FreeSWITCH stopped: every socket closes, nothing listens. */
  async stop(): Promise<void> {
    for (const s of this.inbound) s.destroy();
    for (const c of this.channels.values()) c.socket?.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  /** SIGSTOP: connections stay up, nothing is answered. */
  freeze(): void {
    this.frozen = true;
  }

  /** SIGCONT: whatever arrived meanwhile is processed now. */
  thaw(): void {
    this.frozen = false;
    for (const run of this.thawQueue.splice(0)) run();
  }

  /** The drachtio-srf that fsmrf sends its INVITEs through (createUAC only). */
  readonly srf = {
    createUAC: (uri: string, opts: { headers: Record<string, string>; localSdp?: string }): Promise<FakeFsDialog> =>
      new Promise((resolve, reject) => {
        const run = () => {
          this.sipLog.push(`INVITE ${uri}${opts.localSdp ? '' : ' (3pcc)'}`);
          if (uri !== `sip:drachtio@${this.sipAddress}`) return reject(Object.assign(new Error('Sip non-success response: 404'), { status: 404 }));
          if (!this.server) return reject(Object.assign(new Error('Sip non-success response: 503'), { status: 503 }));
          resolve(this.answerInvite(opts).dialog);
        };
        if (this.frozen) this.thawQueue.push(run);
        else run();
      }),
  };

  /** FreeSWITCH ends a channel by itself (e.g. media timeout), or after `hangup`. */
  hangup(c: FakeChannel, cause: string, fromApp = true): void {
    if (!c.open) return;
    c.open = false;
    this.closeRecording(c);
    const s = c.socket;
    if (s && !s.destroyed) {
      s.write(jsonEvent('CHANNEL_CALLSTATE', c.uuid, { 'Unique-ID': c.uuid, 'Channel-Call-State': 'HANGUP', 'Hangup-Cause': cause }));
      s.write(DISCONNECT_NOTICE(c.uuid));
      s.end();
    }
    // FreeSWITCH's BYE on the endpoint's dialog.
    if (fromApp) setImmediate(() => c.dialog.emit('destroy'));
  }

  /**
   * FreeSWITCH answering an INVITE on drachtio_mrf: a channel (answer SDP in `localSdp`) whose
   * dialplan dials the X-esl-outbound listener. With the real drachtio-srf and the SIP branch's fake
   * drachtio-server, route INVITEs to sip:drachtio@<sipAddress> here and answer with `localSdp`;
   * `channel.dialog` emits 'destroy' when FreeSWITCH hangs up (send the BYE then).
   */
  answerInvite(opts: { headers: Record<string, string>; localSdp?: string }): FakeChannel {
    const uuid = randomUUID();
    const port = this.nextMediaPort++;
    const offer = !opts.localSdp;
    const c = {
      uuid,
      userAgent: opts.headers['User-Agent'] ?? '',
      eslOutbound: opts.headers['X-esl-outbound'] ?? '',
      callId: randomUUID(),
      remoteSdp: opts.localSdp ?? '',
      // A 3pcc offer is G.711 plain RTP/AVP only: SRTP is forbidden globally in our FreeSWITCH config.
      localSdp: `v=0\r\no=FreeSWITCH 1 1 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${offer ? '0 8' : '0'}\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n`,
      localMediaPort: port,
      open: true,
      socket: undefined,
      vars: {},
      recording: undefined,
      bridgedTo: undefined,
      played: [],
    } as unknown as FakeChannel;
    c.dialog = new FakeFsDialog(this, c);
    this.channels.set(uuid, c);
    // The dialplan answers, then `socket <X-esl-outbound> async full` dials the application.
    setImmediate(() => this.connectOutbound(c));
    return c;
  }

  private acceptInbound(s: Socket): void {
    this.inbound.add(s);
    s.on('close', () => this.inbound.delete(s));
    s.on('error', () => undefined);
    const reader = new CommandReader();
    s.write(`Content-Type: auth/request\n\n`);
    s.on('data', (chunk) => {
      for (const cmd of reader.push(chunk)) {
        const handle = () => this.onInbound(s, cmd.line);
        if (this.frozen) this.thawQueue.push(handle);
        else handle();
      }
    });
  }

  private onInbound(s: Socket, line: string): void {
    this.commands.push(`inbound: ${line}`);
    if (line.startsWith('auth ')) {
      if (line.slice(5) === this.password) return void s.write(reply('+OK accepted'));
      s.write(reply('-ERR invalid'));
      s.write(DISCONNECT_NOTICE());
      return void s.end();
    }
    if (line.startsWith('event json')) return void s.write(reply('+OK event listener enabled json'));
    if (line === 'api sofia status') {
      return void s.write(apiResponse(SOFIA_STATUS.replace('127.0.0.1:5082', this.sipAddress)));
    }
    if (line === 'exit') {
      s.write(reply('+OK bye'));
      s.write(DISCONNECT_NOTICE());
      return void s.end();
    }
    s.write(reply('-ERR command not found'));
  }

  private connectOutbound(c: FakeChannel): void {
    const [host = '', port = ''] = c.eslOutbound.split(':');
    const s = createConnection({ host, port: Number(port) });
    c.socket = s;
    s.on('error', () => undefined);
    const reader = new CommandReader();
    s.on('data', (chunk) => {
      for (const cmd of reader.push(chunk)) {
        const handle = () => this.onOutbound(c, s, cmd.line, cmd.headers);
        if (this.frozen) this.thawQueue.push(handle);
        else handle();
      }
    });
  }

  private onOutbound(c: FakeChannel, s: Socket, line: string, headers: Record<string, string>): void {
    this.commands.push(`${c.uuid}: ${line}${headers['execute-app-name'] ? ` | ${headers['execute-app-name']} ${headers['execute-app-arg'] ?? ''}` : ''}`);
    if (line === 'connect') return void s.write(channelDataReply(c));
    if (line.startsWith('event json')) return void s.write(reply('+OK event listener enabled json'));
    if (line.startsWith('filter ')) {
      const [, header, value] = line.split(' ');
      return void s.write(reply(`+OK filter added. [${header}]=[${value}]`));
    }
    if (line.startsWith('sendmsg ')) return this.execute(c, s, headers);
    if (line.startsWith('api ')) return void s.write(apiResponse(this.api(line.slice(4))));
    s.write(reply('-ERR command not found'));
  }

  private execute(c: FakeChannel, s: Socket, h: Record<string, string>): void {
    const app = h['execute-app-name'] ?? '';
    const arg = h['execute-app-arg'] ?? '';
    const fields = { 'Unique-ID': c.uuid, Application: app, 'Application-Data': arg || undefined, 'Application-UUID': h['Event-UUID'] };
    s.write(reply('+OK'));
    s.write(jsonEvent('CHANNEL_EXECUTE', c.uuid, fields));
    let response = '_none_';
    if (app === 'set' || app === 'multiset') {
      for (const kv of (app === 'multiset' ? arg.replace(/^\^\^\^/, '').split('^') : [arg])) {
        const i = kv.indexOf('=');
        c.vars[kv.slice(0, i)] = kv.slice(i + 1);
      }
    } else if (app === 'record_session') {
      c.recording = arg;
    } else if (app === 'stop_record_session') {
      this.closeRecording(c);
    } else if (app === 'playback') {
      response = this.missingFiles.has(arg) ? 'FILE NOT FOUND' : 'FILE PLAYED';
      if (!this.missingFiles.has(arg)) c.played.push(arg);
    }
    const cause = app === 'hangup' ? arg || 'NORMAL_CLEARING' : undefined;
    const complete = () => {
      if (s.destroyed) return;
      s.write(jsonEvent('CHANNEL_EXECUTE_COMPLETE', c.uuid, { ...fields, 'Application-Response': response, 'Hangup-Cause': cause }));
      if (app === 'hangup') this.hangup(c, cause ?? 'NORMAL_CLEARING');
    };
    if (app === 'playback' && this.playbackGate) void this.playbackGate.then(complete);
    else complete();
  }

  private closeRecording(c: FakeChannel): void {
    if (c.recording && this.recordedSeconds !== undefined) writeFileSync(c.recording, stereoWav(this.recordedSeconds));
    c.recording = undefined;
  }

  private api(command: string): string {
    const [name = '', ...args] = command.split(' ');
    const known = (uuid: string | undefined) => (uuid ? this.channels.get(uuid) : undefined);
    if (name === 'uuid_bridge') {
      const [a, b] = [known(args[0]), known(args[1])];
      if (!a?.open || !b?.open) return '-ERR Invalid uuid\n';
      a.bridgedTo = b.uuid;
      b.bridgedTo = a.uuid;
      return `+OK ${b.uuid}\n`;
    }
    if (name === 'uuid_set_media_stats') return known(args[0]) ? '+OK:\n' : '-ERR No such channel!\n';
    if (name === 'uuid_dump') {
      const c = known(args[0]);
      return c ? uuidDump(c) : '-ERR No such channel!\n';
    }
    return `-ERR ${name} Command not found!\n`;
  }
}
