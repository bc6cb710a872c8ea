import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { CallExportService, type ExportInput } from '../../src/exports/call-export-service.js';
import { CALL_COLUMN_NAMES } from '../../src/exports/csv-columns.js';
import type { CalltrackConfig } from '../../src/config/schema.js';
import type { Database } from '../../src/db/connect.js';
import { makeConfig } from '../support/config.js';
import { makeCall, makeMissedCall, migratedDb, seedCalls, seedVisitsOf } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

async function exportText(db: Database, cfg: CalltrackConfig, input: ExportInput): Promise<string> {
  const prepared = new CallExportService(db, { current: cfg }).prepare(input);
  const chunks: Buffer[] = [];
  for await (const chunk of prepared.open()) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const seed = () => migratedDb(tempDir());

const cfgDoc = { tracking: { defaultCountry: 'RU', targetCallSeconds: 30 }, http: { publicUrl: 'https://track.example.com/' } };

describe('CSV export of calls', () => {
  it('writes the documented columns and reads back with a CSV parser (quotes, commas, newlines)', async () => {
    const db = await seed();
    const call = makeCall({
      referrer: 'https://ads.example.com/?q="fridge", cheap',
      term: 'two\nlines',
      tags: ['vip', 'repeat'],
      recordingStatus: 'saved',
      recordingPath: 'x.wav',
    });
    await seedCalls(db, [call]);
    const text = await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30', tz: 'Europe/Moscow' });
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0] ?? {}), [...CALL_COLUMN_NAMES]);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.call_id, call.id);
    assert.equal(row.started_at, '2026-11-02T12:00:00+03:00');
    assert.equal(row.answered_at, '2026-11-02T12:00:06+03:00');
    assert.equal(row.ended_at, '2026-11-02T12:01:36+03:00');
    assert.equal(row.referrer, 'https://ads.example.com/?q="fridge", cheap');
    assert.equal(row.term, 'two\nlines');
    assert.equal(row.tags, 'vip, repeat');
    assert.equal(row.talk_seconds, '90');
    assert.equal(row.first_call, '1');
    assert.equal(row.target_call, '1', '90 s talk is at least tracking.targetCallSeconds');
    assert.equal(row.recording_url, `https://track.example.com/v1/calls/${call.id}/recording`);
    assert.equal(row.status, 'answered');
  });

  it('neutralises formula-like cells and keeps phone numbers readable behind one quote', async () => {
    const db = await seed();
    await seedCalls(db, [
      makeCall({ source: '=HYPERLINK("http://evil.example","x")', medium: '@SUM(A1)', campaign: '-2+3', term: '\tcmd', content: '\rx' }),
    ]);
    const cfg = makeConfig(cfgDoc);
    const [row] = parse(await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30' }), { columns: true }) as Record<string, string>[];
    assert.ok(row);
    assert.equal(row.source, `'=HYPERLINK("http://evil.example","x")`);
    assert.equal(row.medium, "'@SUM(A1)");
    assert.equal(row.campaign, "'-2+3");
    assert.equal(row.term, "'\tcmd");
    assert.equal(row.content, "'\rx");
    assert.equal(row.caller_number, "'+79161234567");
    assert.equal(row.tracking_number, "'+74950000101");
    assert.equal(row.talk_seconds, '90', 'numbers are not touched');

    const [raw] = parse(await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30', raw: true }), { columns: true }) as Record<string, string>[];
    assert.equal(raw?.caller_number, '+79161234567');
    assert.equal(raw?.source, '=HYPERLINK("http://evil.example","x")');
  });

  it('honours the delimiter and the BOM', async () => {
    const db = await seed();
    await seedCalls(db, [makeCall({ campaign: 'a;b', source: 'Радио' })]);
    const text = await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30', delimiter: ';', bom: true });
    assert.equal(text.charCodeAt(0), 0xfeff, 'starts with a UTF-8 BOM');
    assert.ok(text.split('\n')[0]!.includes('call_id;started_at;'));
    const rows = parse(text, { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
    assert.equal(rows[0]?.campaign, 'a;b');
    assert.equal(rows[0]?.source, 'Радио');
    assert.equal(rows[0]?.call_id !== undefined, true, 'the BOM is not glued to the first header');

    const tab = await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30', delimiter: 'tab' });
    assert.equal((parse(tab, { columns: true, delimiter: '\t' }) as Record<string, string>[])[0]?.campaign, 'a;b');
  });

  it('quotes only cells with the delimiter, a quote or a line break; spaces at either end are kept as they are', async () => {
    const db = await seed();
    await seedCalls(db, [makeCall({ source: ' lead', medium: 'trail ', campaign: ' ', term: 'a|b', content: 'c,d' })]);
    const cfg = makeConfig(cfgDoc);
    const text = await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30' });
    assert.ok(text.includes(', lead,trail , ,a|b,"c,d",'), 'unquoted: spaces need no quotes for a CSV reader');
    const [row] = parse(text, { columns: true }) as Record<string, string>[];
    assert.deepEqual([row?.source, row?.medium, row?.campaign, row?.term, row?.content], [' lead', 'trail ', ' ', 'a|b', 'c,d']);

    const piped = await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30', delimiter: '|' });
    assert.ok(piped.includes('| lead|trail | |"a|b"|c,d|'));
    const [viaPipe] = parse(piped, { columns: true, delimiter: '|' }) as Record<string, string>[];
    assert.deepEqual([viaPipe?.source, viaPipe?.term, viaPipe?.content], [' lead', 'a|b', 'c,d']);
  });

  it('writes times in the chosen zone across a daylight-saving change, and filters by local dates', async () => {
    const db = await seed();
    // 2026-11-01 is the end of daylight saving time in New York: 01:30 happens twice.
    const before = makeCall({ startedAt: Date.UTC(2026, 10, 1, 5, 30), answeredAt: null, endedAt: null, status: 'ringing' });
    const afterChange = makeCall({ startedAt: Date.UTC(2026, 10, 1, 6, 30), answeredAt: null, endedAt: null, status: 'ringing' });
    const nextDay = makeCall({ startedAt: Date.UTC(2026, 10, 2, 5, 0) }); // Nov 2, 00:00 EST
    await seedCalls(db, [before, afterChange, nextDay]);
    const cfg = makeConfig(cfgDoc);
    const ny = parse(await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-01', tz: 'America/New_York' }), {
      columns: true,
    }) as Record<string, string>[];
    assert.deepEqual(
      ny.map((r) => r.started_at),
      ['2026-11-01T01:30:00-04:00', '2026-11-01T01:30:00-05:00'],
    );
    const utc = parse(await exportText(db, cfg, { from: '2026-11-02', to: '2026-11-02', tz: 'UTC' }), { columns: true }) as Record<string, string>[];
    assert.deepEqual(utc.map((r) => r.started_at), ['2026-11-02T05:00:00+00:00']);
  });

  it('refuses bad input before writing anything', async () => {
    const db = await seed();
    const service = new CallExportService(db, { current: makeConfig(cfgDoc) });
    assert.throws(() => service.prepare({ from: '2026-13-01' }), /from: "2026-13-01"/);
    assert.throws(() => service.prepare({ tz: 'Mars/Olympus' }), /unknown time zone "Mars\/Olympus"/);
    assert.throws(() => service.prepare({ delimiter: '"' }), /delimiter/);
    for (const delimiter of ['-', '\\', ']']) assert.throws(() => service.prepare({ delimiter }), /delimiter: .* not a quote/);
    assert.throws(() => service.prepare({ format: 'xlsx' }), /format: "xlsx"/);
    assert.throws(() => service.prepare({ status: 'lost' }), /status: "lost"/);
    assert.throws(() => service.prepare({ from: '2026-11-02', to: '2026-11-01' }), /not after/);
    assert.throws(() => service.prepare({ format: 'google-ads' }), /exports\.googleAds\.conversionName/);
    assert.throws(() => service.prepare({ format: 'google-ads-clicks' }), /exports\.googleAds\.clickConversionName/);
  });

  it('asks each Google Ads format for its own conversion action name, and only that one', async () => {
    const db = await seed();
    const only = (googleAds: Record<string, unknown>) =>
      new CallExportService(db, { current: makeConfig({ ...cfgDoc, exports: { googleAds } }) });
    const clicksOnly = only({ clickConversionName: 'Call after ad click' });
    assert.equal(clicksOnly.prepare({ format: 'google-ads-clicks' }).format.name, 'google-ads-clicks');
    assert.throws(
      () => clicksOnly.prepare({ format: 'google-ads' }),
      /format google-ads needs exports\.googleAds\.conversionName in the configuration: the name of your Google Ads conversion action for conversions from calls/,
    );
    const callsOnly = only({ conversionName: 'Phone lead' });
    assert.equal(callsOnly.prepare({ format: 'google-ads' }).format.name, 'google-ads');
    assert.throws(
      () => callsOnly.prepare({ format: 'google-ads-clicks' }),
      /format google-ads-clicks needs exports\.googleAds\.clickConversionName in the configuration: .*conversions from clicks \(an Import action, UPLOAD_CLICKS\)/,
    );
    assert.throws(() => makeConfig({ exports: { googleAds: { currency: 'RUB' } } }), /googleAds.*names no conversion action: set conversionName .* clickConversionName/s);
  });

  it('writes the Yandex Metrica offline calls file for finished calls with a ClientID', async () => {
    const db = await seed();
    const answered = makeCall({ tags: ['vip'], firstCall: false });
    const missed = makeMissedCall({ startedAt: Date.UTC(2026, 10, 3, 10, 0) });
    const noClient = makeCall({ ymClientId: null, startedAt: Date.UTC(2026, 10, 4) });
    await seedCalls(db, [answered, missed, noClient]);
    const text = await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30', format: 'metrica' });
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows, [
      {
        ClientId: '1700000000123456789',
        DateTime: String(answered.startedAt / 1000),
        PhoneNumber: '+79161234567',
        TalkDuration: '90',
        HoldDuration: '6',
        CallMissed: '0',
        Tag: 'vip',
        FirstTimeCaller: '0',
        URL: 'https://shop.example.com/fridges?utm_source=yandex',
        StaticCall: '0',
      },
      {
        ClientId: '1700000000123456789',
        DateTime: String(missed.startedAt / 1000),
        PhoneNumber: '+79161234567',
        TalkDuration: '0',
        HoldDuration: '39',
        CallMissed: '1',
        Tag: '',
        FirstTimeCaller: '1',
        URL: 'https://shop.example.com/fridges?utm_source=yandex',
        StaticCall: '0',
      },
    ]);

    // The call without a ClientID came from a Direct ad: it is in the Yclid file, and only there.
    const yclidFile = async (raw: boolean) =>
      parse(await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30', format: 'metrica-yclid', raw }), { relax_column_count: true }) as string[][];
    const [header, row, ...more] = await yclidFile(false);
    assert.deepEqual(header?.slice(0, 2), ['Yclid', 'DateTime']);
    assert.deepEqual(row?.slice(0, 2), ['5531234567890', String(noClient.startedAt / 1000)]);
    assert.deepEqual(more, []);
    await seedCalls(db, [makeCall({ ymClientId: null, yclid: '=cmd|x', startedAt: Date.UTC(2026, 10, 5) })]);
    assert.equal((await yclidFile(false))[2]?.[0], "'=cmd|x", 'a yclid is URL text: formula-guarded unless --raw');
    assert.equal((await yclidFile(true))[2]?.[0], '=cmd|x');
  });

  it('writes Google Ads call conversions: time zone row, target calls only, value from config or the deal', async () => {
    const db = await seed();
    const target = makeCall();
    const withDeal = makeCall({ startedAt: Date.UTC(2026, 10, 5, 9), endedAt: Date.UTC(2026, 10, 5, 9, 5), dealValue: 15000 });
    const short = makeCall({ startedAt: Date.UTC(2026, 10, 6), talkSeconds: 10 });
    const missed = makeMissedCall({ startedAt: Date.UTC(2026, 10, 7) });
    await seedCalls(db, [target, withDeal, short, missed]);
    const cfg = makeConfig({
      ...cfgDoc,
      exports: { timeZone: 'Europe/Moscow', googleAds: { conversionName: 'Phone lead', conversionValue: 500, currency: 'RUB' } },
    });
    const text = await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30', format: 'google-ads' });
    const [first, ...rest] = parse(text, { relax_column_count: true }) as string[][];
    assert.deepEqual(first, ['Parameters:TimeZone=Europe/Moscow']);
    assert.deepEqual(rest, [
      ["Caller's Phone Number", 'Call Start Time', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
      ['+79161234567', '2026-11-02 12:00:00', 'Phone lead', '2026-11-02 12:01:36', '500', 'RUB'],
      ['+79161234567', '2026-11-05 12:00:00', 'Phone lead', '2026-11-05 12:05:00', '15000', 'RUB'],
    ]);
  });

  it('writes Google Ads click conversions: time zone row, Google\'s header, target calls with a gclid clicked at most 90 days before', async () => {
    const db = await seed();
    const day = 86_400_000;
    const clicked = (overrides: Parameters<typeof makeCall>[0]) => makeCall({ source: 'google', gclid: 'Cj0KCQiA-abc_123', ...overrides });
    const target = clicked({});
    const withDeal = clicked({ startedAt: Date.UTC(2026, 10, 5, 9), endedAt: Date.UTC(2026, 10, 5, 9, 5), dealValue: 15000, gclid: 'EAIaIQob' });
    const short = clicked({ startedAt: Date.UTC(2026, 10, 6), talkSeconds: 10 });
    const missed = makeMissedCall({ startedAt: Date.UTC(2026, 10, 7), gclid: 'missed-gclid' });
    const ringing = clicked({ startedAt: Date.UTC(2026, 10, 8), answeredAt: null, endedAt: null, status: 'ringing', talkSeconds: null });
    const noClick = makeCall({ startedAt: Date.UTC(2026, 10, 9) });
    const lateCall = clicked({ startedAt: Date.UTC(2026, 10, 10, 9), gclid: 'old-click' });
    const inWindow = clicked({ startedAt: Date.UTC(2026, 10, 11, 9), gclid: 'recent-enough' });
    const noVisitRow = clicked({ startedAt: Date.UTC(2026, 10, 12, 9), gclid: 'visit-gone' });
    await seedCalls(db, [target, withDeal, short, missed, ringing, noClick, lateCall, inWindow, noVisitRow]);
    const clickAt = new Map([
      [lateCall.id, lateCall.endedAt! - 90 * day - 1000],
      [inWindow.id, inWindow.endedAt! - 90 * day + 1000],
    ]);
    const visited = [target, withDeal, short, missed, ringing, noClick, lateCall, inWindow];
    await seedVisitsOf(db, visited, (call) => clickAt.get(call.id) ?? call.startedAt - 3 * 60_000);
    const cfg = makeConfig({
      ...cfgDoc,
      exports: { timeZone: 'Europe/Moscow', googleAds: { clickConversionName: 'Call after ad click', conversionValue: 500, currency: 'RUB' } },
    });
    const text = await exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30', format: 'google-ads-clicks' });
    const [first, ...rest] = parse(text, { relax_column_count: true }) as string[][];
    assert.deepEqual(first, ['Parameters:TimeZone=Europe/Moscow']);
    assert.deepEqual(rest, [
      ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
      ['Cj0KCQiA-abc_123', 'Call after ad click', '2026-11-02 12:01:36', '500', 'RUB'],
      ['EAIaIQob', 'Call after ad click', '2026-11-05 12:05:00', '15000', 'RUB'],
      ['recent-enough', 'Call after ad click', '2026-11-11 12:01:36', '500', 'RUB'],
      ['visit-gone', 'Call after ad click', '2026-11-12 12:01:36', '500', 'RUB'],
    ]);

    // The zone row and the wall times follow --tz (New York is UTC-5 in November).
    const ny = parse(await exportText(db, cfg, { from: '2026-11-02', to: '2026-11-02', tz: 'America/New_York', format: 'google-ads-clicks' }), {
      relax_column_count: true,
    }) as string[][];
    assert.deepEqual(ny[0], ['Parameters:TimeZone=America/New_York']);
    assert.deepEqual(ny[2], ['Cj0KCQiA-abc_123', 'Call after ad click', '2026-11-02 04:01:36', '500', 'RUB']);
  });

  it('leaves an erased call out of every file for an ad platform, though its click ids stay for reports', async () => {
    const db = await seed();
    const fromAd = { source: 'google', ymClientId: null, yclid: '5531234567890', gclid: 'Cj0KCQiA-kept' };
    const kept = makeCall({ ...fromAd, startedAt: Date.UTC(2026, 10, 3, 9) });
    // What `calls forget` leaves: number, note and analytics ids gone, the ad's click ids kept.
    const erased = makeCall({ ...fromAd, gclid: 'Cj0KCQiA-erased', yclid: '5539999999999', startedAt: Date.UTC(2026, 10, 4, 9), callerNumber: null, gaClientId: null, identityErasedAt: Date.UTC(2026, 10, 20) });
    await seedCalls(db, [kept, erased]);
    await seedVisitsOf(db, [kept, erased], (call) => call.startedAt - 60_000);
    const cfg = makeConfig({ ...cfgDoc, exports: { googleAds: { conversionName: 'Phone lead', clickConversionName: 'Call after ad click' } } });
    const file = async (format: string) => exportText(db, cfg, { from: '2026-11-01', to: '2026-11-30', format, raw: true });
    const clicks = await file('google-ads-clicks');
    assert.match(clicks, /Cj0KCQiA-kept/);
    assert.doesNotMatch(clicks, /Cj0KCQiA-erased/);
    const yclids = await file('metrica-yclid');
    assert.match(yclids, /5531234567890/);
    assert.doesNotMatch(yclids, /5539999999999/, 'its ClientID erased, it must not move into the Yclid file');
    assert.equal((await file('google-ads')).split('\n').filter((l) => l.includes('Phone lead')).length, 1);
    assert.match(await file('csv'), new RegExp(erased.id), 'the plain export, for reports, keeps it');
  });

  it('says which calls came after hours: 1, 0 during hours, empty for a number without a schedule', async () => {
    const db = await seed();
    const calls = [true, false, null].map((afterHours, i) => makeCall({ afterHours, startedAt: Date.UTC(2026, 10, 2 + i, 9) }));
    await seedCalls(db, calls);
    const rows = parse(await exportText(db, makeConfig(cfgDoc), { from: '2026-11-01', to: '2026-11-30' }), { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => r.after_hours), ['1', '0', '']);
    assert.equal(Object.keys(rows[0]!).at(-1), 'after_hours', 'added last: the columns before it keep their places');
  });
});
