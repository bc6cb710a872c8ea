import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CalltrackConfig } from '../../src/config/schema.js';
import { statusOf } from '../support/fake-drachtio/sip-text.js';
import { startMediaHarness } from '../support/media-harness.js';
import { answeredCall, startSipHarness } from '../support/sip-harness.js';

/**
 * media.freeswitch applies at restart only (the reload warns so): until then calls go on as the
 * running server was started, neither half-anchored nor unrecorded by surprise.
 */
describe('reloading media.freeswitch', () => {
  it('added by a reload: calls stay plain B2BUA, their rows do not claim a recording went missing', async () => {
    const h = await startSipHarness();
    try {
      const cur = h.app.config.current;
      const withFs: CalltrackConfig = {
        ...cur,
        media: { ...cur.media, freeswitch: { host: '127.0.0.1', port: 8021, secret: 'ClueCon', profile: 'drachtio_mrf', listenAddress: '127.0.0.1', listenPort: 0 }, recording: { ...cur.media.recording, enabled: true } },
      };
      assert.deepEqual((await h.app.reload(withFs)).needsRestart, ['media.freeswitch']);
      const { caller, callee } = await answeredCall(h);
      assert.doesNotMatch(callee.invite.body, /FreeSWITCH/, 'the caller\'s own offer, as before the reload');
      assert.equal(statusOf(await caller.bye()), 200);
      const row = await h.finalRow(caller.callId);
      assert.deepEqual({ status: row.status, recording: row.recordingStatus, error: row.recordingError }, { status: 'answered', recording: null, error: null });
    } finally {
      await h.stop();
    }
  });

  it('removed by a reload: calls are still anchored and recorded until the restart', async () => {
    const m = await startMediaHarness();
    try {
      m.fs.recordedSeconds = 5;
      const cur = m.h.app.config.current;
      const { freeswitch: _dropped, ...media } = cur.media;
      assert.deepEqual((await m.h.app.reload({ ...cur, media })).needsRestart, ['media.freeswitch']);
      const { caller, callee } = await answeredCall(m.h);
      assert.match(callee.invite.body, /o=FreeSWITCH/);
      assert.equal(statusOf(await caller.bye()), 200);
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.equal(row.recordingStatus, 'saved');
    } finally {
      await m.stop();
    }
  });
});
