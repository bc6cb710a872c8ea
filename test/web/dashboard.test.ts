/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium, where these DOM types are real.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import type { SourceReport } from '../../src/exports/source-report.js';
import { DESKTOP, launchChromium, screenshotBoth, screenshotDir } from '../support/browser.js';
import { makeCall } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { DASHBOARD_TOKEN, startDashboardServer, type DashboardFixture } from '../support/dashboard-seed.js';
import { tempDir } from '../support/temp.js';
import { CallStore } from '../../src/calls/call-store.js';

const WAIT = { timeout: 20_000 };

describe('dashboard in headless Chromium against the real server', () => {
  let fx: DashboardFixture;
  let browser: Browser;
  let page: Page;
  // Made here, not in before(): cleanups registered inside a hook would run as soon as it ends.
  const shots = screenshotDir();
  const dir = tempDir();

  before(async () => {
    // The browser first: if it cannot start, nothing else is running that after() could not stop.
    browser = await launchChromium();
    fx = await startDashboardServer(dir);
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
  });
  after(async () => {
    await browser?.close();
    await fx?.app.stop();
  });

  const rows = () => page.locator('table.calls tbody tr');
  const waitForRows = (n: number) => page.waitForFunction((count) => document.querySelectorAll('table.calls tbody tr').length === count, n, WAIT);

  it('refuses a wrong token with a clear message and shows nothing; the right one opens the calls', async () => {
    await page.goto(`${fx.baseUrl}/`);
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => /Wrong admin token/.test(document.getElementById('login-error')?.textContent ?? ''), null, WAIT);
    assert.equal(await page.locator('#shell').isHidden(), true, 'no dashboard without the right token');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
    await screenshotBoth(page, shots, 'login-refused');

    await page.fill('#token', DASHBOARD_TOKEN);
    await page.click('#login-form button[type=submit]');
    await waitForRows(25);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('calltrack.adminToken')), DASHBOARD_TOKEN);
  });

  it('filters the calls table and pages through it with the cursor', async () => {
    const newestFirst = [...fx.calls].sort((a, b) => b.startedAt - a.startedAt);
    assert.equal(await rows().first().getAttribute('data-call-id'), newestFirst[0]!.id);
    await screenshotBoth(page, shots, 'calls');
    await page.click('.pager button:has-text("Older")');
    await waitForRows(fx.calls.length - 25);
    assert.equal(await rows().first().getAttribute('data-call-id'), newestFirst[25]!.id);
    await page.click('.pager button:has-text("Newer")');
    await waitForRows(25);

    const expected = fx.calls.filter((c) => c.source === 'google' && c.status === 'no-answer');
    assert.ok(expected.length > 0);
    await page.selectOption('select[name=status]', 'missed');
    await page.fill('input[name=source]', 'google');
    await page.click('form.filters button[type=submit]');
    await waitForRows(expected.length);
    const shown = await rows().evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.callId));
    assert.deepEqual(new Set(shown), new Set(expected.map((c) => c.id)));
    for (const text of await page.locator('table.calls td[data-label=Status]').allTextContents()) assert.equal(text, 'no answer');
    assert.match(page.url(), /status=missed&source=google/);
  });

  it('opens a call: attribution with the visit pages, timeline, a playable and seekable recording, editable tags and note', async () => {
    const recordingResponses: number[] = [];
    page.on('response', (res) => {
      if (res.url().includes('/v1/recordings/')) recordingResponses.push(res.status());
    });
    await page.goto(`${fx.baseUrl}/#/calls/${fx.recorded.id}`);
    await page.waitForSelector('audio[src]', WAIT);
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const audio = document.querySelector('audio')!;
          if (audio.readyState >= 3) return resolve();
          audio.addEventListener('canplay', () => resolve());
          audio.addEventListener('error', () => reject(new Error(`audio error ${audio.error?.code}`)));
        }),
    );
    const seeked = await page.evaluate(
      () =>
        new Promise<{ at: number; duration: number }>((resolve) => {
          const audio = document.querySelector('audio')!;
          audio.addEventListener('seeked', () => resolve({ at: audio.currentTime, duration: audio.duration }), { once: true });
          audio.currentTime = 2;
        }),
    );
    assert.ok(Math.abs(seeked.at - 2) < 0.1, `seeked to ${seeked.at}`);
    assert.ok(Math.abs(seeked.duration - 3) < 0.1, `duration ${seeked.duration}`);
    assert.ok(recordingResponses.includes(206), `range answers: ${recordingResponses.join(',')}`);

    const unsigned = await page.evaluate(async (id) => (await fetch(`/v1/recordings/${id}`)).status, fx.recorded.id);
    assert.equal(unsigned, 401, 'the recording is never served without a valid signature');
    const src = await page.locator('audio').getAttribute('src');
    // Flip the signature's first hex digit (replacing it with a fixed one would be a no-op 1 time in 16).
    const flipped = src!.replace(/signature=(.)/, (_, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    const tampered = await page.evaluate(async (url) => (await fetch(url)).status, flipped);
    assert.equal(tampered, 401);

    const pages = await page.locator('ol.pages li').allTextContents();
    assert.equal(pages.length, 3);
    assert.match(pages[2]!, /shop\.example\.com\/delivery/);
    const text = await page.locator('main').textContent();
    for (const expected of ['1234567890.1700000000', 'Hung up by the caller', 'fridges', '203.0.113.1']) assert.ok(text?.includes(expected), expected);
    await screenshotBoth(page, shots, 'call');

    await page.fill('input[name=tags]', 'vip, delivery, vip');
    await page.fill('textarea[name=note]', 'wants two fridges');
    await page.click('form.editor button[type=submit]');
    await page.waitForSelector('form.editor [role=status]:has-text("Saved.")', WAIT);
    const saved = await fx.app.callAdmin.get(fx.recorded.id);
    assert.deepEqual(saved.tags, ['vip', 'delivery']);
    assert.equal(saved.note, 'wants two fridges');
  });

  it('draws calls per source stacked by day with the same numbers as `calltrack report sources`, and downloads the CSV', async () => {
    const cli = await runCli(['-c', fx.configFile, 'report', 'sources', '--from', '2026-11-01', '--to', '2026-11-30', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const report = JSON.parse(cli.stdout) as SourceReport;

    await page.goto(`${fx.baseUrl}/#/sources?from=2026-11-01&to=2026-11-30&by=source`);
    await page.waitForSelector('svg.chart rect', WAIT);
    const chart = await page.evaluate(() => {
      const perGroup: Record<string, number> = {};
      for (const title of Array.from(document.querySelectorAll('svg.chart rect > title'))) {
        const [, label = '', n = '0'] = /· (.*): (\d+)$/.exec(title.textContent ?? '') ?? [];
        perGroup[label] = (perGroup[label] ?? 0) + Number(n);
      }
      const days = Array.from(document.querySelectorAll<SVGGElement>('svg.chart g.day')).map((g) => Number(g.dataset.total));
      return { total: Number(document.querySelector('[data-testid=chart-total]')?.textContent), days, perGroup };
    });
    assert.equal(chart.total, report.totals.calls);
    assert.equal(chart.days.length, 30);
    assert.equal(chart.days.reduce((a, b) => a + b, 0), report.totals.calls);
    assert.deepEqual(chart.perGroup, Object.fromEntries(report.groups.map((g) => [g.key ?? '(none)', g.calls])));
    const footer = await page.locator('table.report tfoot td').allTextContents();
    assert.equal(Number(footer[0]), report.totals.calls);
    assert.equal(Number(footer[5]), report.totals.targetCalls);
    await screenshotBoth(page, shots, 'sources');

    const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('button:has-text("Download CSV")')]);
    assert.equal(download.suggestedFilename(), 'calls-2026-11-01_2026-11-30.csv');
    const csv = parse(readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(csv.length, report.totals.calls);
  });

  it('shows pool health with a clear warning for a pool that ran out', async () => {
    await page.goto(`${fx.baseUrl}/#/pools`);
    const card = page.locator('.pool[data-pool=ads]');
    await card.waitFor(WAIT);
    assert.match((await card.locator('.warning').textContent()) ?? '', /Pool too small: ran out of numbers 1 time in 7 days.*grow it from 2 to 3/);
    assert.match((await card.locator('.held-now').textContent()) ?? '', /2 of 2 numbers held now/);
    await screenshotBoth(page, shots, 'pools');
  });

  it('shows a call in progress without a reload, and drops it when it ends', async () => {
    await page.goto(`${fx.baseUrl}/#/calls`);
    await waitForRows(25);
    const now = Date.now();
    const ringing = makeCall({ startedAt: now, ringingAt: now, answeredAt: null, endedAt: null, status: 'ringing', talkSeconds: null, sipCode: null, hangupBy: null, source: 'google', medium: 'cpc' });
    const store = new CallStore();
    await store.insert(fx.app.db, ringing);
    await page.waitForSelector(`#live-list li[data-call-id="${ringing.id}"]`, WAIT);
    assert.match((await page.locator(`#live-list li[data-call-id="${ringing.id}"]`).textContent()) ?? '', /ringing.*google \/ cpc/);
    await page.waitForSelector(`table.calls tr[data-call-id="${ringing.id}"]`, WAIT);
    assert.match((await page.locator('#live-announce').textContent()) ?? '', /New call from \+79161234567, google \/ cpc/);
    await screenshotBoth(page, shots, 'live');

    await store.update(fx.app.db, ringing.id, { status: 'answered', answeredAt: now + 3000, endedAt: now + 9000, talkSeconds: 6 });
    await page.waitForSelector(`#live-list li[data-call-id="${ringing.id}"]`, { state: 'detached', ...WAIT });
  });

  it('tells a caller whose data was erased from one who withheld the number', async () => {
    const store = new CallStore();
    const at = Date.UTC(2026, 10, 20, 9);
    const withheld = makeCall({ startedAt: at, callerNumber: null, source: 'vk' });
    const erased = makeCall({ startedAt: at + 60_000, callerNumber: null, note: null, identityErasedAt: Date.UTC(2026, 10, 25, 12), source: 'vk' });
    for (const call of [withheld, erased]) await store.insert(fx.app.db, call);
    await page.goto(`${fx.baseUrl}/#/calls?source=vk&from=2026-11-20&to=2026-11-20`);
    await waitForRows(2);
    const callerOf = async (id: string) => page.locator(`table.calls tr[data-call-id="${id}"] td[data-label=Caller]`).textContent();
    assert.equal(await callerOf(withheld.id), 'anonymous');
    assert.equal(await callerOf(erased.id), 'erased');

    await page.goto(`${fx.baseUrl}/#/calls/${erased.id}`);
    await page.waitForSelector('h1:has-text("Call (caller erased)")', WAIT);
    assert.match((await page.locator('main').textContent()) ?? '', /Callererased 2026-11-25 15:00/);
  });

  it('says on the call page when a call came after business hours, and nothing for a number without a schedule', async () => {
    const store = new CallStore();
    const late = makeCall({ startedAt: Date.UTC(2026, 10, 20, 19), forwardedTo: '+79161110001', afterHours: true });
    const plain = makeCall({ startedAt: Date.UTC(2026, 10, 20, 20) });
    for (const call of [late, plain]) await store.insert(fx.app.db, call);
    // The plain call first: the page before it (an erased caller's) has no "Call from" heading to mistake.
    await page.goto(`${fx.baseUrl}/#/calls/${plain.id}`);
    await page.waitForSelector('h1:has-text("Call from")', WAIT);
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /After hours/);
    await page.goto(`${fx.baseUrl}/#/calls/${late.id}`);
    await page.waitForSelector('dt:has-text("After hours")', WAIT);
    assert.match((await page.locator('main').textContent()) ?? '', /Forwarded to\+79161110001After hoursyes: the schedule was closed, so afterHoursForwardTo/);
  });
});
