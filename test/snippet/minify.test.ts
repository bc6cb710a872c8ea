import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minifyScript } from '../../src/snippet/minify.js';

describe('snippet minifier', () => {
  it('drops comments and spaces, never inside strings or regular expressions', () => {
    const src = [
      '/*',
      ' * header',
      ' */',
      '(function (C) {',
      "  // a comment with 'quotes' and /slashes/",
      "  var s = 'a  b; c=d' + \"e  f\";",
      '  var re = /[ /]x  y\\/ z/g;',
      '  var n = a - -b + +c;',
      '  return /^ +$/.test(s) ? typeof re : void 0;',
      '})(X);',
    ].join('\n');
    const out = minifyScript(src);
    assert.equal(
      out,
      ["(function(C){", "var s='a  b; c=d'+\"e  f\";", 'var re=/[ /]x  y\\/ z/g;', 'var n=a- -b+ +c;', 'return/^ +$/.test(s)?typeof re:void 0;', '})(X);'].join('\n'),
    );
    assert.doesNotThrow(() => new Function('X', out.replace('(X)', '(1)')));
  });

  it('refuses what it cannot handle safely', () => {
    assert.throws(() => minifyScript('var a = `x`;'), /template literals/);
    assert.throws(() => minifyScript("var a = 'open;"), /unterminated string/);
  });
});
