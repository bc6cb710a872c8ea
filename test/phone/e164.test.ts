import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNational, normalisePhoneNumber } from '../../src/phone/e164.js';

describe('phone numbers to E.164', () => {
  const ok = (input: string, country: 'RU' | 'US' | 'GB' | undefined, expected: string) => {
    const result = normalisePhoneNumber(input, country);
    assert.deepEqual(result, { ok: true, number: expected }, input);
  };

  it('accepts international formats with spaces, dashes and brackets', () => {
    ok('+7 495 000-00-01', undefined, '+74950000001');
    ok('+7 (495) 123-45-67', undefined, '+74951234567');
    ok('+1 415-555-0100', undefined, '+14155550100');
    ok('+44 20 7946 0000', undefined, '+442079460000');
    ok('0074951234567', undefined, '+74951234567');
    ok('tel:+14155550100', undefined, '+14155550100');
  });

  it('reads national formats with the default country', () => {
    ok('8 (495) 111-22-33', 'RU', '+74951112233');
    ok('8 495 123 45 67', 'RU', '+74951234567');
    ok('(415) 555 0100', 'US', '+14155550100');
    ok('020 7946 0000', 'GB', '+442079460000');
  });

  it('refuses national formats without a default country, saying how to fix it', () => {
    const result = normalisePhoneNumber('8 (495) 111-22-33', undefined);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /national format.*tracking\.defaultCountry/);
  });

  it('refuses numbers that are too short or not numbers at all', () => {
    for (const bad of ['+7 495 12', 'call us', '', '+7 495 abc-45-67']) {
      assert.equal(normalisePhoneNumber(bad, 'RU').ok, false, bad);
    }
  });

  it('formats for display the national way', () => {
    assert.equal(formatNational('+74951112233'), '8 (495) 111-22-33');
    assert.equal(formatNational('+14155550100'), '(415) 555-0100');
  });
});
