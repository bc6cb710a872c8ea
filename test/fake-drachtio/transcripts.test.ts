import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import Srf from 'drachtio-srf';
import { FakeDrachtioServer } from '../support/fake-drachtio/fake-drachtio-server.js';
import { encodeFrame } from '../support/fake-drachtio/framing.js';
import { loadTranscript, streamsOf, transcriptStreams, type Streams, type TranscriptLine } from '../support/fake-drachtio/transcript.js';
import { Watched } from '../support/fake-drachtio/waiters.js';

/**
 * The fake drachtio-server against captures from the real one: the same drachtio-srf code
 * that produced each capture runs against the fake, and every stream of frames must have the
 * same shape (types, token positions, statuses, SIP methods) in the same order.
 */
describe('fake drachtio-server reproduces the captured conversations', () => {
  let fake: FakeDrachtioServer;
  before(async () => {
    fake = await FakeDrachtioServer.start({ sipPort: 5360 });
  });
  after(() => fake.stop());

  async function app(opts: { secret?: string; tags?: string; setup: (srf: Srf) => void }): Promise<Srf> {
    fake.frames.length = 0;
    const srf = new Srf(opts.tags);
    opts.setup(srf);
    const connected = new Promise<Error | null>((resolve) => srf.on('connect', (err) => resolve(err)));
    srf.on('error', () => undefined);
    srf.connect({ host: '127.0.0.1', port: fake.port, secret: opts.secret ?? 'cymru' });
    if (await connected) srf.disconnect();
    return srf;
  }

  const settle = () => new Promise((r) => setTimeout(r, 50));
  /** Waits until every stream has as many frames as the capture (the last ones may still be in flight), then compares. */
  const compare = async (name: string) => {
    const expected = transcriptStreams(name);
    const keys = Object.keys(expected) as (keyof Streams)[];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !keys.every((k) => streamsOf(fake.frames)[k].length >= expected[k].length)) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(streamsOf(fake.frames), expected);
  };
  const b2bua = (s: Srf, count?: { n: number }) =>
    s.invite((req, res) => {
      if (count && ++count.n > 1) return res.send(404);
      s.createB2BUA(req, res, 'sip:target@127.0.0.1:5390', { headers: { 'X-Calltrack-Did': req.calledNumber } }).then(
        ({ uas, uac }) => {
          uas.on('destroy', () => void uac.destroy());
          uac.on('destroy', () => void uas.destroy());
          uas.on('modify', (r, s2) => void uac.modify(r.body).then((sdp) => s2.send(200, { body: sdp })));
        },
        () => undefined,
      );
    });

  async function answeredCall() {
    const caller = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    const callee = await fake.sip.nextInvite();
    assert.equal(callee.get('X-Calltrack-Did'), '74951112233');
    callee.ring();
    await caller.waitForStatus(180);
    callee.answer();
    await caller.finalResponse();
    await callee.waitForRequest('ACK');
    await settle(); // the caller's ACK reaches the app
    return { caller, callee };
  }

  it('a: authenticate with a tag, route invite', async () => {
    const s = await app({ tags: 'calltrack', setup: (x) => x.invite((_q, r) => r.send(404)) });
    await settle();
    await compare('a-connect-auth-ok');
    s.disconnect();
  });

  it('b: wrong secret: NO, and the server closes', async () => {
    await app({ secret: 'wrong-secret', setup: (x) => x.invite((_q, r) => r.send(404)) });
    await compare('b-auth-wrong-secret');
  });

  it('c and d: the app answers 404, and 403 with a Cyrillic header (byte-counted frames)', async () => {
    const s = await app({ setup: (x) => x.invite((_q, r) => r.send(404)) });
    const caller = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    assert.equal((await caller.finalResponse()).status, 404);
    await compare('c-invite-404');
    s.disconnect();

    const s2 = await app({ setup: (x) => x.invite((_q, r) => r.send(403, 'Caller Blocked', { headers: { 'X-Calltrack-Reason': 'номер в чёрном списке' } })) });
    const blocked = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    const res = await blocked.finalResponse();
    assert.equal(res.msg.startLine, 'SIP/2.0 403 Caller Blocked');
    assert.equal(res.msg.headers.find(([n]) => n === 'X-Calltrack-Reason')?.[1], 'номер в чёрном списке');
    await compare('d-invite-403');
    s2.disconnect();
  });

  it('e: B2BUA answered, the caller hangs up', async () => {
    const s = await app({ setup: (x) => b2bua(x) });
    const { caller, callee } = await answeredCall();
    await caller.bye();
    await callee.waitForRequest('BYE');
    await settle();
    await compare('e-b2bua-answered-caller-bye');
    s.disconnect();
  });

  it('f: B2BUA answered, the callee hangs up', async () => {
    const s = await app({ setup: (x) => b2bua(x) });
    const { caller, callee } = await answeredCall();
    await callee.bye();
    await caller.waitForRequest('BYE');
    await settle();
    await compare('f-b2bua-answered-callee-bye');
    s.disconnect();
  });

  it('g: busy passed to the caller; the ACK for the 486 is refused', async () => {
    const s = await app({ setup: (x) => b2bua(x) });
    const caller = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    const callee = await fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    callee.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    await settle();
    await compare('g-b2bua-busy');
    s.disconnect();
  });

  it('h: the app CANCELs the ringing B leg and answers the caller 480', async () => {
    const s = await app({
      setup: (x) =>
        x.invite((req, res) => {
          x.createB2BUA(req, res, 'sip:target@127.0.0.1:5390', { headers: { 'X-Calltrack-Did': req.calledNumber }, passFailure: false }, {
            cbProvisional: () => undefined,
            cbRequest: (_e, uacReq) => setTimeout(() => uacReq.cancel(), 100),
          }).catch(() => res.send(480));
        }),
    });
    const caller = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    const callee = await fake.sip.nextInvite();
    callee.ring();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 480);
    await settle();
    await compare('h-b2bua-noanswer-app-cancel');
    s.disconnect();
  });

  it('i: the caller CANCELs while the target rings (quick cancel by the server)', async () => {
    const s = await app({ setup: (x) => b2bua(x) });
    const caller = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    const callee = await fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    caller.cancel();
    assert.equal((await caller.finalResponse()).status, 487);
    await callee.waitForRequest('CANCEL');
    await settle();
    await compare('i-caller-cancel-while-ringing');
    s.disconnect();
  });

  it('j: CDRs for an answered B2BUA call and a rejected call', async () => {
    const s = await app({
      setup: (x) => {
        b2bua(x, { n: 0 });
        for (const ev of ['cdr:attempt', 'cdr:start', 'cdr:stop']) x.on(ev, () => undefined);
      },
    });
    const { caller, callee } = await answeredCall();
    await caller.bye();
    await callee.waitForRequest('BYE');
    await settle();
    const second = fake.sip.placeCall({ from: '79161234567', to: '74951112233' });
    assert.equal((await second.finalResponse()).status, 404);
    await settle();
    await compare('j-cdrs');
    s.disconnect();
  });

  it('k: OPTIONS reaches an app that routes it; without the route the server answers 503 itself', async () => {
    const s = await app({
      setup: (x) => {
        x.invite((_q, r) => r.send(404));
        x.options((_q, r) => r.send(200));
      },
    });
    assert.equal(await fake.sip.sendOptions({ address: '127.0.0.1' }), 200);
    await compare('k-options-keepalive');
    s.disconnect();

    const s2 = await app({ setup: (x) => x.invite((_q, r) => r.send(404)) });
    assert.equal(await fake.sip.sendOptions({ address: '127.0.0.1' }), 503);
    await compare('k-options-keepalive-no-route');
    s2.disconnect();
  });

  it('l: a re-INVITE (hold) from the caller relayed in the B dialog', async () => {
    const s = await app({ setup: (x) => b2bua(x) });
    const { caller, callee } = await answeredCall();
    const res = await caller.reinvite(caller.sdp.replace('a=sendrecv', 'a=sendonly'));
    assert.match(res.body, /a=recvonly/);
    await settle();
    await caller.bye();
    await callee.waitForRequest('BYE');
    await settle();
    await compare('l-reinvite-hold');
    s.disconnect();
  });

  it('an app-originated REGISTER goes like createUAC\'s INVITE in e (no capture of REGISTER): no dialog id in its responses', async () => {
    const registrar = fake.sip.addRegistrar({ address: '127.0.0.9', port: 5070, realm: 'r.test', username: 'u1', password: 'p1' });
    const srf = await app({ setup: () => undefined });
    const req = await srf.request('sip:127.0.0.9:5070', { method: 'REGISTER', headers: { From: '<sip:u1@r.test>', To: '<sip:u1@r.test>', Contact: '<sip:u1@localhost>', Expires: '60' }, auth: { username: 'u1', password: 'p1' } });
    const final = await new Promise<number>((resolve) => req.on('response', (res) => res.status >= 200 && resolve(res.status)));
    srf.disconnect();
    assert.equal(final, 200);
    assert.equal(req.get('Contact'), '<sip:u1@127.0.0.1:5360>', 'localhost replaced as for the INVITE in e');
    // e's shapes for the app's INVITE, with REGISTER for INVITE; drachtio-server keeps no dialog
    // for a REGISTER (NTATAG_NO_DIALOG), so the dialog-id token of its responses is empty.
    const e = transcriptStreams('e-b2bua-answered-caller-bye');
    const sent = e.replies.find((r) => r.endsWith('Msg sent:| :: INVITE'))!.replace(':: INVITE', ':: REGISTER');
    const answer = (status: string) => e.network.find((n) => n.endsWith(':: 180'))!.replace('|*| :: 180', `|| :: ${status}`);
    const streams = streamsOf(fake.frames);
    assert.deepEqual(streams.app.slice(-2), ['sip|| :: REGISTER', 'sip|| :: REGISTER']);
    assert.deepEqual(streams.replies.slice(-2), [sent, sent]);
    assert.deepEqual(streams.network, [answer('401'), answer('200')]);
    assert.equal(registrar.bindings.size, 1);
  });

  it('m: protocol errors from a raw client, connection by connection', async () => {
    fake.frames.length = 0;
    const connections: TranscriptLine[][] = [];
    for (const line of loadTranscript('m-protocol-errors')) {
      if (line.event === 'connect' && line.dir === 'app->server') connections.push([]);
      else connections.at(-1)!.push(line);
    }
    const serverFrames = () => fake.frames.filter((f) => f.dir === 'server->app').length;
    for (const conn of connections) {
      const socket = net.connect(fake.port, '127.0.0.1');
      const closed = new Watched<true>();
      socket.on('close', () => closed.add(true));
      socket.on('data', () => undefined);
      await new Promise((r) => socket.once('connect', r));
      for (const [i, line] of conn.entries()) {
        if (line.dir !== 'app->server' || line.event) continue;
        const next = conn.slice(i + 1).findIndex((l) => l.dir === 'app->server' && !l.event);
        const replies = conn.slice(i + 1, next === -1 ? undefined : i + 1 + next).filter((l) => l.payload !== undefined).length;
        const target = serverFrames() + replies;
        socket.write(line.raw ?? encodeFrame(line.payload!));
        const deadline = Date.now() + 5_000;
        while (serverFrames() < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      }
      if (conn.some((l) => l.event === 'close' && l.dir === 'server->app')) await closed.find(() => true, 'the server closing the connection');
      socket.destroy();
    }
    await compare('m-protocol-errors');
  });
});
