'use strict';
// Language idioms where JavaScript's rules and Python's differ: strings, numbers, loops, try/catch,
// JSON, Math, Date, typeof, == and ===, and a helper function the file declares.
function double(x) {
  return x * 2;
}

module.exports = function(Misc) {
  Misc.play = function(text, n, cb) {
    var words = text.trim().split(' ');
    var long = words.filter(function(w) { return w.length > 3; });
    var first = words.find(w => w.startsWith('b'));
    var upper = text.toUpperCase().slice(0, 5);
    var total = 0;
    var i = 0;
    while (i < n) {
      total += i * 2;
      i++;
    }
    var kind = typeof n === 'number' ? 'number' : 'other';
    var padded = '[' + text.replace(' ', '_') + ']';
    var parsed = JSON.parse('{"a": [1, 2, 3]}');
    var keys = Object.keys({x: 1, y: 2});
    var numbers = {
      max: Math.max(n, 10),
      min: Math.min(n, 10),
      floor: Math.floor(n / 3),
      round: Math.round(n / 2),
      half: n / 2,
      rest: n % 3,
      negativeRest: -n % 3,
      year: new Date(0).getUTCFullYear(),
    };
    var message;
    try {
      if (n > 100) {
        throw new Error('too big');
      }
      message = 'ok';
    } catch (e) {
      message = e.message;
    }
    var size;
    if (n < 5) size = 'small';
    else if (n < 50) size = 'medium';
    else size = 'large';
    cb(null, {
      words: words.length,
      long: long,
      first: first || 'none',
      upper: upper,
      total: total,
      kind: kind,
      padded: padded,
      sum: parsed.a.reduce((s, x) => s + x, 0),
      keys: keys.join(','),
      numbers: numbers,
      message: message,
      size: size,
      double: double(n),
      loose: n == '7',
      strict: n === '7',
      index: words.indexOf('bar'),
      has: text.includes('ar'),
      some: words.some(w => w === 'foo'),
      every: words.every(w => w.length > 2),
      template: `${n} items, ${text.length} chars`,
      concat: 'n=' + n + 1,
      sumFirst: n + 1 + 'x',
      json: JSON.stringify({n: n, half: n / 2, list: [1, 'two', null, true]}),
    });
  };
};
