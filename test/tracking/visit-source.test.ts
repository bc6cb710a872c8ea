import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyVisit } from '../../src/tracking/visit-source.js';

const classify = (url: string, referrer?: string) => {
  const s = classifyVisit(new URL(url), referrer);
  return [s.source, s.medium, s.campaign];
};

describe('where a visit came from', () => {
  it('utm tags win over click ids and the referrer, and the raw values are kept', () => {
    const s = classifyVisit(
      new URL('https://shop.example.com/p?utm_source=newsletter&utm_medium=email&utm_campaign=nov&utm_term=fridge&utm_content=top&gclid=G1'),
      'https://www.google.com/',
    );
    assert.deepEqual([s.source, s.medium, s.campaign, s.term, s.content], ['newsletter', 'email', 'nov', 'fridge', 'top']);
    assert.deepEqual([s.utmSource, s.gclid, s.siteHost, s.path], ['newsletter', 'G1', 'shop.example.com', '/p']);
  });

  it('click ids: gclid google/cpc, yclid yandex/cpc, fbclid facebook/paid social', () => {
    assert.deepEqual(classify('https://s.example.com/?gclid=x', 'https://www.google.com/'), ['google', 'cpc', null]);
    assert.deepEqual(classify('https://s.example.com/?yclid=123'), ['yandex', 'cpc', null]);
    assert.deepEqual(classify('https://s.example.com/?fbclid=abc', 'https://l.facebook.com/'), ['facebook', 'paid-social', null]);
  });

  it('search engines are organic, social networks social, other sites referral, nothing direct', () => {
    const cases: [string | undefined, string, string][] = [
      ['https://www.google.co.uk/', 'google', 'organic'],
      ['https://yandex.ru/search/?text=x', 'yandex', 'organic'],
      ['https://ya.ru/', 'yandex', 'organic'],
      ['https://www.bing.com/search?q=x', 'bing', 'organic'],
      ['https://duckduckgo.com/', 'duckduckgo', 'organic'],
      ['https://go.mail.ru/search?q=x', 'mail.ru', 'organic'],
      ['https://www.baidu.com/s?wd=x', 'baidu', 'organic'],
      ['https://vk.com/feed', 'vk', 'social'],
      ['https://t.co/abc', 'twitter', 'social'],
      ['https://www.instagram.com/', 'instagram', 'social'],
      ['https://blog.example.org/post', 'blog.example.org', 'referral'],
      ['https://shop.example.com/other-page', '(direct)', '(none)'],
      ['', '(direct)', '(none)'],
      ['not a url', '(direct)', '(none)'],
      [undefined, '(direct)', '(none)'],
    ];
    for (const [referrer, source, medium] of cases) {
      assert.deepEqual(classify('https://shop.example.com/', referrer).slice(0, 2), [source, medium], String(referrer));
    }
  });
});
