import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, NotFoundError, UnavailableError } from '../../src/errors.js';
import { forwardOptions, targetUri } from '../../src/sip/forward-request.js';
import { TrunkMatcher } from '../../src/sip/inbound-call.js';
import { classifyTargetFailure, replyForFinalOutcome, sipReplyForError } from '../../src/sip/sip-errors.js';
import { makeConfig } from '../support/config.js';

describe('trunk allow lists', () => {
  const trunks = makeConfig({
    sip: {
      trunks: [
        { name: 'a', allow: ['203.0.113.0/24', '198.51.100.7'], outbound: 'sip:{number}@pbx' },
        { name: 'b', allow: ['2001:db8::/32'], outbound: 'sip:{number}@pbx' },
      ],
    },
  }).sip.trunks;
  const m = new TrunkMatcher(trunks);

  it('matches addresses and blocks by source address only', () => {
    assert.equal(m.match('203.0.113.200')?.name, 'a');
    assert.equal(m.match('198.51.100.7')?.name, 'a');
    assert.equal(m.match('::ffff:203.0.113.9')?.name, 'a', 'IPv4 seen on a dual-stack socket');
    assert.equal(m.match('2001:db8:1::5')?.name, 'b');
    assert.equal(m.match('198.51.100.8'), undefined);
    assert.equal(m.match('203.0.114.1'), undefined);
    assert.equal(m.match('not-an-address'), undefined);
    assert.equal(m.match(''), undefined);
  });
});

describe('SIP responses and dispositions', () => {
  it('maps errors to SIP in one place', () => {
    assert.equal(sipReplyForError(new NotFoundError('x')).status, 404);
    const busy = sipReplyForError(new UnavailableError('db down'));
    assert.deepEqual([busy.status, busy.headers?.['Retry-After']], [503, '30']);
    assert.equal(sipReplyForError(new AppError('forbidden', 'x')).status, 403);
    assert.equal(sipReplyForError(new Error('bug')).status, 500);
  });

  it('classifies target failures and what the caller hears', () => {
    assert.deepEqual(classifyTargetFailure(487, true), { kind: 'no-answer', status: 480 });
    assert.equal(classifyTargetFailure(408, false).kind, 'no-answer');
    assert.equal(classifyTargetFailure(600, false).kind, 'busy');
    assert.equal(classifyTargetFailure(404, false).kind, 'failed');
    assert.equal(replyForFinalOutcome({ kind: 'failed', status: 404 }).status, 404);
    assert.equal(replyForFinalOutcome({ kind: 'failed', status: 500 }).status, 502);
    assert.equal(replyForFinalOutcome({ kind: 'failed', status: 603 }).status, 603);
    assert.equal(replyForFinalOutcome({ kind: 'busy', status: 600 }).status, 486);
  });
});

describe('the forwarded INVITE', () => {
  const cfg = makeConfig({ sip: { displayNameTag: true, trunks: [{ name: 't', allow: ['127.0.0.1'], outbound: 'sips:{number}@pbx;transport=tls' }] } });
  const trunk = cfg.sip.trunks[0]!;

  it('fills the template and keeps header values on one line', () => {
    assert.equal(targetUri(trunk, '+74951112233'), 'sips:+74951112233@pbx;transport=tls');
    const opts = forwardOptions(cfg.sip, trunk, {
      callId: 'id-1', caller: '+79161234567', callerIsE164: true, callerName: null,
      attribution: { source: 'Radio "Hit"\r\nX-Evil: 1', medium: null, campaign: null, term: null, visitId: null, gaClientId: null, gaSessionId: null, firstCall: false },
    }, 'v=0');
    assert.equal(opts.headers?.['X-Calltrack-Source'], 'Radio "Hit" X-Evil: 1');
    assert.equal(opts.headers?.From, '"[Radio \\"Hit\\" X-Evil: 1] +79161234567" <sip:+79161234567@localhost>');
    assert.equal(opts.headers?.['X-Calltrack-First-Call'], 'no');
    assert.equal(opts.headers?.['X-Calltrack-Medium'], undefined, 'absent values are left out');
    assert.equal(opts.headers?.['X-Calltrack-After-Hours'], undefined, 'no schedule, no after-hours header');
    assert.equal(opts.localSdp, 'v=0');
  });

  it('sends an anonymous caller as anonymous, without P-Asserted-Identity', () => {
    const opts = forwardOptions(cfg.sip, trunk, { callId: 'id-2', caller: null, callerIsE164: false, callerName: null, attribution: null }, '');
    assert.equal(opts.headers?.From, '<sip:anonymous@localhost>');
    assert.equal(opts.headers?.['P-Asserted-Identity'], undefined);
  });
});
