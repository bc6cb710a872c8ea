// Calls in progress, polled every few seconds while the tab is visible.
import { api } from './api.js';
import { fmtDuration, fmtSource, h, replace, statusBadge } from './dom.js';

const POLL_MS = 3000;

export class LiveBoard {
  constructor(list, count, empty, announcer) {
    this.list = list;
    this.announcer = announcer;
    this.count = count;
    this.empty = empty;
    this.timer = null;
    this.ids = null;
    this.listeners = new Set();
    this.running = false;
    document.addEventListener('visibilitychange', () => {
      if (this.running && document.visibilityState === 'visible') void this.poll();
    });
  }

  start() {
    this.running = true;
    void this.poll();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.ids = null;
    replace(this.list);
  }

  /** `fn()` runs when the set of calls in progress changes (a call started or ended). */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async poll() {
    clearTimeout(this.timer);
    if (!this.running) return;
    try {
      if (document.visibilityState !== 'hidden') this.render(await api('/v1/calls/live'));
    } catch (err) {
      // Shown, then retried on the next tick: a restarting server must not stop the board.
      this.empty.hidden = false;
      this.empty.textContent = `Live calls unavailable: ${err.message}`;
    }
    if (this.running) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  render({ calls, at }) {
    const now = Date.parse(at);
    this.count.textContent = String(calls.length);
    this.empty.hidden = calls.length > 0;
    this.empty.textContent = 'No calls in progress.';
    replace(
      this.list,
      calls.map((c) => {
        const since = c.answeredAt ?? c.startedAt;
        return h(
          'li',
          { class: 'live-call', dataset: { callId: c.id } },
          statusBadge(c),
          h('a', { href: `#/calls/${encodeURIComponent(c.id)}`, class: 'live-number' }, c.callerNumber ?? 'anonymous'),
          h('span', { class: 'muted' }, `→ ${c.trackingNumber}`),
          h('span', { class: 'live-source' }, fmtSource(c.attribution)),
          h('span', { class: 'live-timer', title: c.answeredAt ? 'talking for' : 'ringing for' }, fmtDuration((now - Date.parse(since)) / 1000)),
        );
      }),
    );
    const ids = calls.map((c) => `${c.id}:${c.status}`).join(',');
    if (ids !== this.ids) {
      const first = this.ids === null;
      // Screen readers hear new calls once, not every timer tick of the list.
      const fresh = first ? [] : calls.filter((c) => !this.ids.includes(c.id));
      if (fresh.length) this.announcer.textContent = fresh.map((c) => `New call from ${c.callerNumber ?? 'anonymous'}, ${fmtSource(c.attribution)}`).join('. ');
      this.ids = ids;
      if (!first) for (const fn of this.listeners) fn();
    }
  }
}
