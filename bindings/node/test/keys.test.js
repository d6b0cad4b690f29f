'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const hp = require('..');
const { nativeAddon, snapshot } = require('./helpers');

const INVALID = ['', 'a..b', '.a', 'a.', 'has space', 'semi;colon', 'x'.repeat(1025), 'a/b', 'tab\there'];

function invalidKey(key) {
  return (err) => {
    assert.ok(err instanceof hp.HyperparameterError, String(err));
    assert.equal(err.status, hp.Status.INVALID_KEY);
    assert.equal(err.code, 'HP_INVALID_KEY');
    assert.equal(err.key, key);
    if (key.length < 100) assert.ok(err.message.includes(JSON.stringify(key)), err.message);
    return true;
  };
}

test('valid keys pass the engine\'s check', () => {
  for (const key of ['a', 'train.lr', 'a-b.c_d', 'model.layers._0.size', 'x'.repeat(1024), '模型.学习率']) {
    hp.checkKey(key);
  }
});

test('every read, write and check of an invalid key is an error naming it', () => {
  for (const key of INVALID) {
    assert.throws(() => hp.checkKey(key), invalidKey(key));
    assert.throws(() => hp.get(key, 1), invalidKey(key), 'a default never hides an invalid key');
    assert.throws(() => hp.get(key), invalidKey(key));
    assert.throws(() => hp.getInt(key, 1), invalidKey(key));
    assert.throws(() => hp.getString(key, ''), invalidKey(key));
    assert.throws(() => hp.has(key), invalidKey(key));
    hp.withParams({}, () => {
      assert.throws(() => hp.set(key, 1), invalidKey(key));
      assert.throws(() => hp.setString(key, 'v'), invalidKey(key));
    });
  }
});

test('a key that is not a string is an error', () => {
  for (const key of [undefined, null, 5, Symbol('k')]) {
    assert.throws(() => hp.get(key, 1), { code: 'HP_INVALID_KEY' });
  }
});

test('an invalid key in withParams enters nothing, runs nothing and corrupts nothing', () => {
  hp.withParams({ 'keep.me': 'outer' }, () => {
    const before = snapshot();
    for (const key of INVALID) {
      let ran = false;
      assert.throws(
        () => hp.withParams({ 'good.key': 1, [key]: 2 }, () => { ran = true; }),
        invalidKey(key),
      );
      assert.equal(ran, false);
      assert.deepEqual(snapshot(), before, 'no scope entered, no handle left');
      assert.equal(hp.has('good.key'), false, 'the valid key set before the bad one is not visible');
      assert.equal(hp.get('keep.me'), 'outer');
    }
    assert.throws(() => hp.withParams({ train: { '': 1 } }, () => {}), invalidKey('train.'));
    assert.deepEqual(hp.keys(), ['keep.me']);
    hp.set('keep.me', 'changed');
    assert.equal(hp.get('keep.me'), 'changed', 'the scope is still writable');
  });
  assert.equal(nativeAddon().readInt('good.key'), null);
});
