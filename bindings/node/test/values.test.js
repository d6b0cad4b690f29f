'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const hp = require('..');

const { HyperparameterError, Status } = hp;

function mismatch(key, value) {
  return (err) => {
    assert.ok(err instanceof HyperparameterError, `${err} is not a HyperparameterError`);
    assert.ok(err instanceof Error);
    assert.equal(err.status, Status.TYPE_MISMATCH);
    assert.equal(err.code, 'HP_TYPE_MISMATCH');
    assert.equal(err.key, key);
    assert.match(err.message, new RegExp(`"${key.replace(/\./g, '\\.')}"`), 'the message names the key');
    assert.ok(err.message.includes(value), `the message names the value ${value}: ${err.message}`);
    return true;
  };
}

test('each type round-trips with its own type', () => {
  hp.withParams({}, () => {
    hp.set('v.int', 42);
    hp.set('v.neg', -7);
    hp.set('v.float', 0.25);
    hp.set('v.bool', true);
    hp.set('v.str', 'adam');
    hp.set('v.null', null);
    hp.set('v.big', 2n ** 62n);
    assert.equal(hp.get('v.int'), 42);
    assert.equal(hp.get('v.neg'), -7);
    assert.equal(hp.get('v.float'), 0.25);
    assert.equal(hp.get('v.bool'), true);
    assert.equal(hp.get('v.str'), 'adam');
    assert.equal(hp.get('v.null'), null);
    assert.equal(hp.getBigInt('v.big'), 2n ** 62n);
    assert.equal(hp.getInt('v.int'), 42);
    assert.equal(hp.getFloat('v.float'), 0.25);
    assert.equal(hp.getBool('v.bool'), true);
    assert.equal(hp.getString('v.str'), 'adam');
  });
});

test('a safe integer is stored as an int, other numbers as floats', () => {
  hp.withParams({ i: 3, f: 3.5, huge: 1e300, negzero: -0 }, () => {
    assert.equal(hp.getString('i'), '3');
    assert.equal(hp.getInt('i'), 3);
    assert.equal(hp.getFloat('f'), 3.5);
    assert.equal(hp.get('huge'), 1e300);
    assert.ok(Object.is(hp.get('negzero'), -0), 'the sign of -0 is kept');
    hp.setFloat('forced', 2);
    assert.throws(() => hp.setFloat('forced', '2'), { code: 'HP_INVALID_ARGUMENT' });
    assert.equal(hp.getFloat('forced'), 2);
  });
});

test('NaN and infinities are kept', () => {
  hp.withParams({ nan: NaN, inf: Infinity, ninf: -Infinity }, () => {
    assert.ok(Number.isNaN(hp.get('nan')));
    assert.equal(hp.get('inf'), Infinity);
    assert.equal(hp.getFloat('ninf'), -Infinity);
  });
});

test('strings keep unicode, emptiness and interior NULs', () => {
  for (const text of ['', 'über größe', '模型', 'emoji 😀', 'x\0y', 'a\nb']) {
    hp.withParams({ s: text }, () => {
      assert.equal(hp.get('s'), text);
      assert.equal(hp.getString('s'), text);
    });
  }
});

test('unicode keys work', () => {
  hp.withParams({ '模型.学习率': 0.5, 'über.größe': 3 }, () => {
    assert.equal(hp.get('模型.学习率', 0.1), 0.5);
    assert.equal(hp.getInt('über.größe'), 3);
  });
});

test('the engine converts by its one rule set', () => {
  hp.withParams({ n: '64', f: '1e-3', yes: 'yes', off: 'OFF', one: 1, exact: 3.0, e3: '1e3' }, () => {
    assert.equal(hp.getInt('n'), 64);
    assert.equal(hp.getFloat('f'), 0.001);
    assert.equal(hp.getBool('yes'), true);
    assert.equal(hp.getBool('off'), false);
    assert.equal(hp.getBool('one'), true);
    assert.equal(hp.getInt('exact'), 3);
    assert.equal(hp.getInt('e3'), 1000);
    assert.equal(hp.getString('one'), '1');
  });
});

test('a non-numeric string read as int is an error naming key and value', () => {
  hp.withParams({ 'train.bs': 'many' }, () => {
    assert.throws(() => hp.getInt('train.bs'), mismatch('train.bs', 'many'));
    assert.throws(() => hp.getInt('train.bs', 32), mismatch('train.bs', 'many'), 'a default never hides it');
    assert.throws(() => hp.get('train.bs', 32), mismatch('train.bs', 'many'));
    assert.throws(() => hp.getBigInt('train.bs', 1n), mismatch('train.bs', 'many'));
    assert.throws(() => hp.getBool('train.bs', false), mismatch('train.bs', 'many'));
  });
});

test('a fraction read as int is an error, never truncated', () => {
  hp.withParams({ 'train.bs': 3.5, 'train.text': '3.5' }, () => {
    assert.throws(() => hp.getInt('train.bs'), mismatch('train.bs', '3.5'));
    assert.throws(() => hp.getInt('train.text'), mismatch('train.text', '3.5'));
  });
});

test('ints beyond 2^53 are exact as BigInt and an error as numbers', () => {
  const big = 2n ** 63n - 1n;
  hp.withParams({ 'run.seed': big, 'run.low': -(2n ** 63n) }, () => {
    assert.equal(hp.getBigInt('run.seed'), big);
    assert.equal(hp.get('run.seed', 0n), big);
    assert.equal(hp.getBigInt('run.low'), -(2n ** 63n));
    assert.throws(() => hp.getInt('run.seed'), (err) => {
      assert.equal(err.code, 'HP_TYPE_MISMATCH');
      assert.match(err.message, /"run\.seed"/);
      assert.ok(err.message.includes(String(big)));
      assert.match(err.message, /getBigInt/);
      return true;
    });
    assert.throws(() => hp.get('run.seed'), { code: 'HP_TYPE_MISMATCH', key: 'run.seed' });
    assert.equal(hp.get('run.seed', 1.5), Number(big), 'a number default reads by float rules');
  });
  hp.withParams({ edge: Number.MAX_SAFE_INTEGER }, () => {
    assert.equal(hp.getInt('edge'), Number.MAX_SAFE_INTEGER);
  });
});

test('ints outside int64 and non-integers are refused by setInt', () => {
  hp.withParams({}, () => {
    assert.throws(() => hp.setInt('a', 2n ** 63n), { code: 'HP_INVALID_ARGUMENT', key: 'a' });
    assert.throws(() => hp.setInt('a', 1.5), { code: 'HP_INVALID_ARGUMENT', key: 'a' });
    assert.throws(() => hp.setInt('a', 2 ** 60), { code: 'HP_INVALID_ARGUMENT', key: 'a' });
    hp.setInt('a', 2n ** 60n);
    assert.equal(hp.getBigInt('a'), 2n ** 60n);
  });
});

test('the default decides the type of get', () => {
  hp.withParams({ n: '5', b: 'on', s: 12, f: 7 }, () => {
    assert.equal(hp.get('n', 1), 5);
    assert.equal(hp.get('n', 1n), 5n);
    assert.equal(hp.get('b', false), true);
    assert.equal(hp.get('s', 'x'), '12');
    assert.equal(hp.get('f', 0.5), 7);
    assert.throws(() => hp.get('n', {}), TypeError);
  });
});

test('only a missing key falls back to the default', () => {
  hp.withParams({ zero: 0, no: false, empty: '', nothing: null }, () => {
    assert.equal(hp.get('zero', 9), 0);
    assert.equal(hp.get('no', true), false);
    assert.equal(hp.get('empty', 'x'), '');
    assert.equal(hp.get('nothing', 'x'), null, 'an explicit null is a value');
    assert.equal(hp.getInt('zero', 9), 0);
    assert.equal(hp.getBool('no', true), false);
    assert.equal(hp.getString('empty', 'x'), '');
    assert.equal(hp.get('missing.key', 9), 9);
    assert.equal(hp.getFloat('missing.key', 0.5), 0.5);
    assert.equal(hp.get('missing.key', null), null);
    assert.equal(hp.has('nothing'), true);
    assert.equal(hp.has('missing.key'), false);
  });
});

test('a missing key without a default is an error naming it', () => {
  for (const read of [hp.get, hp.getInt, hp.getBigInt, hp.getFloat, hp.getBool, hp.getString]) {
    assert.throws(() => read('no.such.key'), (err) => {
      assert.ok(err instanceof HyperparameterError);
      assert.equal(err.status, Status.NOT_FOUND);
      assert.equal(err.key, 'no.such.key');
      assert.match(err.message, /"no\.such\.key"/);
      return true;
    });
  }
});

test('a typed read of null is an error, as in C', () => {
  hp.withParams({ nothing: null }, () => {
    assert.throws(() => hp.getFloat('nothing', 1), mismatch('nothing', 'null'));
  });
});

test('values JavaScript cannot store are errors naming the key', () => {
  for (const bad of [[1, 2], new Date(0), undefined, Symbol('s'), () => 1, new Map()]) {
    assert.throws(
      () => hp.withParams({ 'cfg.value': bad }, () => assert.fail('fn ran')),
      (err) => err instanceof HyperparameterError && err.code === 'HP_INVALID_ARGUMENT' && err.key === 'cfg.value',
    );
  }
  assert.throws(() => hp.set('cfg.value', { a: 1 }), { code: 'HP_INVALID_ARGUMENT', key: 'cfg.value' });
  assert.throws(() => hp.setString('s', 5), { code: 'HP_INVALID_ARGUMENT', key: 's' });
  assert.throws(() => hp.setBool('b', 1), { code: 'HP_INVALID_ARGUMENT', key: 'b' });
  assert.equal(hp.has('cfg.value'), false);
});

test('a string with a lone surrogate is refused, not silently changed', () => {
  hp.withParams({}, () => {
    assert.throws(() => hp.set('s', 'a\uDC00b'), { code: 'HP_INVALID_UTF8', key: 's' });
    assert.throws(() => hp.get('a\uD800', 1), { code: 'HP_INVALID_UTF8' });
    assert.equal(hp.has('s'), false);
  });
});
