import { FakeFreeSwitch, type FakeChannel } from './fake-freeswitch.js';
import { attachFreeSwitch, type FreeSwitchSipFaults } from './fake-freeswitch-sip.js';
import { startSipHarness, type SipHarness } from './sip-harness.js';
import { waitFor } from './wait.js';

export interface MediaHarness {
  h: SipHarness;
  fs: FakeFreeSwitch;
  /** Mutable: set a fault for one test, clear it afterwards. */
  faults: FreeSwitchSipFaults;
  openChannels(): FakeChannel[];
  /** After a call: zero FreeSWITCH channels and zero SIP dialogs (caller, target, endpoints). */
  noChannelsLeft(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The SIP harness with media anchored in a fake FreeSWITCH that the REAL drachtio-fsmrf talks to:
 * its event socket on loopback, its drachtio_mrf profile on the fake drachtio-server's network.
 * Recording is on; the pool "ads" plays a recording notice and a whisper.
 */
/** North American ringback (440+480 Hz, 2 s on, 4 s off), not the 425 Hz default. */
export const US_RINGBACK = 'tone_stream://%(2000,4000,440,480);loop=-1';

export async function startMediaHarness(opts: { ringTimeoutMs?: number } = {}): Promise<MediaHarness> {
  const fs = new FakeFreeSwitch();
  const faults: FreeSwitchSipFaults = {};
  const eslPort = await fs.listen();
  const h = await startSipHarness({
    ...opts,
    doc: (d) => {
      d.media = { freeswitch: { host: '127.0.0.1', port: eslPort, listenAddress: '127.0.0.1', listenPort: 0 }, recording: { enabled: true, dir: 'rec' }, ringback: US_RINGBACK };
      const pools = d.pools as Array<Record<string, unknown>>;
      Object.assign(pools[0] ?? {}, { recordingNotice: '/sounds/recorded.wav', whisper: '/sounds/whisper-ads.wav' });
    },
  });
  attachFreeSwitch(h.fake.sip, fs, faults);
  await waitFor(() => h.app.media.connection?.state.get().state === 'up', 'FreeSWITCH connection up');
  return {
    h,
    fs,
    faults,
    openChannels: () => [...fs.channels.values()].filter((c) => c.open),
    noChannelsLeft: () =>
      waitFor(
        () => fs.channelCount === 0 && h.fake.sip.openDialogs().length === 0,
        () => `zero FreeSWITCH channels and SIP dialogs (channels ${fs.channelCount}, dialogs ${h.fake.sip.openDialogs().join(' ')})`,
      ),
    async stop() {
      await h.stop();
      await fs.stop();
    },
  };
}
