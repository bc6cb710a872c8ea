import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const CONF = path.join(import.meta.dirname, '..', '..', 'freeswitch', 'conf');
const read = (rel: string) => readFileSync(path.join(CONF, rel), 'utf8');

/** The lessons from the real stack (shared/wire/mediaflow) that the shipped FreeSWITCH config must keep. */
describe('freeswitch/conf', () => {
  it('forbids SRTP as global variables, so the 3pcc offer to the callee is plain RTP/AVP', () => {
    const vars = read('vars.xml');
    for (const v of ['rtp_secure_media', 'rtp_secure_media_inbound', 'rtp_secure_media_outbound']) {
      assert.match(vars, new RegExp(`<X-PRE-PROCESS cmd="set" data="${v}=forbidden"/>`));
    }
    assert.match(vars, /global_codec_prefs=PCMU,PCMA/);
    assert.ok(read('freeswitch.xml').indexOf('vars.xml') < read('freeswitch.xml').indexOf('autoload_configs'), 'globals load before the profile');
  });

  it('has the drachtio_mrf profile with 3pcc, the mrf dialplan handing channels to the outbound socket, raised limits', () => {
    const sofia = read('autoload_configs/sofia.conf.xml');
    assert.match(sofia, /<profile name="drachtio_mrf">/);
    assert.match(sofia, /name="enable-3pcc" value="true"/);
    assert.match(sofia, /name="context" value="mrf"/);
    const dialplan = read('dialplan/mrf.xml');
    assert.match(dialplan, /<context name="mrf">/);
    assert.match(dialplan, /expression="\^drachtio-fsmrf:/);
    assert.match(dialplan, /application="socket" data="\$\{sip_h_X-esl-outbound\} async full"/);
    assert.match(dialplan, /park_after_bridge=true/);
    assert.match(dialplan, /RECORD_MIN_SEC=0/);
    const core = read('autoload_configs/switch.conf.xml');
    assert.match(core, /name="max-sessions" value="4000"/);
    assert.match(core, /name="sessions-per-second" value="200"/);
    assert.match(read('autoload_configs/event_socket.conf.xml'), /name="listen-port" value="8021"/);
    for (const mod of ['mod_event_socket', 'mod_sofia', 'mod_commands', 'mod_dptools', 'mod_dialplan_xml', 'mod_sndfile', 'mod_tone_stream']) {
      assert.match(read('autoload_configs/modules.conf.xml'), new RegExp(`<load module="${mod}"/>`));
    }
  });

  it('every XML file is balanced (no stray or unclosed elements)', () => {
    const files = ['freeswitch.xml', 'vars.xml', 'dialplan/mrf.xml', ...['acl', 'console', 'event_socket', 'logfile', 'modules', 'sofia', 'switch'].map((n) => `autoload_configs/${n}.conf.xml`)];
    for (const f of files) {
      const text = read(f).replace(/<!--[\s\S]*?-->/g, '').replace(/<\?xml[^>]*\?>/, '');
      const stack: string[] = [];
      for (const m of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
        const [, close, name = '', selfClose] = m;
        if (selfClose) continue;
        if (close) assert.equal(stack.pop(), name, `${f}: </${name}> closes the wrong element`);
        else stack.push(name);
      }
      assert.deepEqual(stack, [], `${f}: unclosed ${stack.join(', ')}`);
    }
  });
});
