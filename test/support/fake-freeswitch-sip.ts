import type { FakeChannel, FakeFreeSwitch } from './fake-freeswitch.js';
import { FakeCallee, type Wire } from './fake-drachtio/parties.js';
import type { FakeSipNetwork } from './fake-drachtio/sip-network.js';
import { header, isRequest, methodOf, responseTo, tagOf, type SipText } from './fake-drachtio/sip-text.js';

/** How FreeSWITCH's SIP profile misbehaves (the captures' failure cases). */
export interface FreeSwitchSipFaults {
  /** enable-3pcc=false: an INVITE without SDP gets 480 (createEndpoint() for the callee side fails). */
  reject3pcc?: boolean;
  /** A re-INVITE of an endpoint (modify) gets this status instead of 200. */
  failReinvite?: number;
}

/**
 * FreeSWITCH's drachtio_mrf profile on the fake SIP network: drachtio-fsmrf's INVITE to
 * sip:drachtio@<profile address> becomes a channel of the fake FreeSWITCH (which then dials the
 * application's outbound event socket), answered 200 with the channel's SDP. Re-INVITEs update the
 * channel's remote SDP; a BYE from the application hangs the channel up; when FreeSWITCH hangs a
 * channel up (`sendmsg … hangup`, or by itself) it sends BYE on the channel's dialog.
 */
export class FreeSwitchSipLeg extends FakeCallee {
  readonly channel: FakeChannel | undefined;

  constructor(wire: Wire, invite: SipText, private readonly fs: FakeFreeSwitch, private readonly faults: FreeSwitchSipFaults) {
    super(wire, invite);
    // The real drachtio-server adds a Contact to every INVITE; FreeSWITCH sends its BYE there.
    const via = /SIP\/2\.0\/\w+ ([^;\s]+)/.exec(header(invite, 'Via') ?? '')?.[1];
    if (!header(invite, 'Contact') && via) invite.headers.push(['Contact', `<sip:${via}>`]);
    const offer = invite.body;
    if (!offer && faults.reject3pcc) {
      setImmediate(() => this.reject(480));
      return;
    }
    const channel = fs.answerInvite({
      headers: { 'User-Agent': header(invite, 'User-Agent') ?? '', 'X-esl-outbound': header(invite, 'X-esl-outbound') ?? '' },
      ...(offer ? { localSdp: offer } : {}),
    });
    this.channel = channel;
    channel.dialog.on('destroy', () => void this.bye().catch(() => undefined));
    setImmediate(() => this.answer(channel.localSdp));
  }

  override receive(msg: SipText): void {
    const c = this.channel;
    if (c && isRequest(msg) && tagOf(header(msg, 'To'))) {
      const method = methodOf(msg);
      if (method === 'INVITE' && this.faults.failReinvite) {
        this.requests.add(msg);
        return this.send(responseTo(msg, this.faults.failReinvite, { toTag: this.toTag }));
      }
      if (method === 'INVITE') {
        this.fs.sipLog.push(`re-INVITE ${c.uuid}`);
        c.remoteSdp = msg.body;
        c.localSdp = c.localSdp.replace('a=recvonly', 'a=sendrecv');
      }
      // drachtio-srf's ACK for a 3pcc endpoint carries the SDP FreeSWITCH is to use.
      if (method === 'ACK' && msg.body) c.remoteSdp = msg.body;
      if (method === 'BYE') {
        this.fs.sipLog.push(`BYE to FreeSWITCH ${c.uuid}`);
        this.fs.hangup(c, 'NORMAL_CLEARING', false);
      }
    }
    super.receive(msg);
  }

  protected override sdpForReinvite(): string {
    return this.channel?.localSdp ?? this.sdp;
  }
}

/** Routes drachtio-fsmrf's INVITEs (sip:drachtio@<FreeSWITCH's SIP address>) to the fake FreeSWITCH. */
export function attachFreeSwitch(net: FakeSipNetwork, fs: FakeFreeSwitch, faults: FreeSwitchSipFaults = {}): void {
  net.addHost(
    (uri) => uri === `sip:drachtio@${fs.sipAddress}`,
    (wire, invite) => new FreeSwitchSipLeg(wire, invite, fs, faults),
  );
}
