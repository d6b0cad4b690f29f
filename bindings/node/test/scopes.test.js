'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const hp = require('..');
const { nativeAddon, snapshot } = require('./helpers');

test('inner overrides outer, and leaving restores the outer value', () => {
  assert.equal(hp.get('train.lr', 0.001), 0.001);
  hp.withParams({ 'train.lr': 0.01 }, () => {
    assert.equal(hp.get('train.lr', 0.001), 0.01);
    hp.withParams({ 'train.lr': 0.1 }, () => {
      assert.equal(hp.get('train.lr', 0.001), 0.1);
    });
    assert.equal(hp.get('train.lr', 0.001), 0.01, 'rolled back to the outer value');
  });
  assert.equal(hp.get('train.lr', 0.001), 0.001, 'rolled back to the default');
  assert.equal(hp.has('train.lr'), false);
});

test('a child sees what its parents set', () => {
  hp.withParams({ a: 1 }, () => {
    hp.withParams({ b: 2 }, () => {
      hp.withParams({ c: 3 }, () => {
        assert.deepEqual([hp.get('a'), hp.get('b'), hp.get('c')], [1, 2, 3]);
        assert.deepEqual(hp.keys(), ['a', 'b', 'c']);
      });
      assert.equal(hp.has('c'), false);
    });
  });
});

test('writes go to the innermost scope and do not leak to the parent', () => {
  hp.withParams({ 'model.layers': 4 }, () => {
    hp.withParams({}, () => {
      hp.set('model.layers', 8);
      hp.set('model.width', 256);
      assert.equal(hp.get('model.layers'), 8);
      assert.equal(hp.get('model.width'), 256);
    });
    assert.equal(hp.get('model.layers'), 4, 'the parent keeps its value');
    assert.equal(hp.has('model.width'), false, 'a key set only inside is gone');
    hp.set('model.layers', 6);
    assert.equal(hp.get('model.layers'), 6);
  });
  assert.equal(hp.has('model.layers'), false);
});

test('nested objects flatten to dotted keys and mix with dotted ones', () => {
  const values = { train: { lr: 0.01, optim: { name: 'adam', beta1: 0.9 } }, 'train.bs': 64, flat: true };
  hp.withParams(values, () => {
    assert.deepEqual(hp.keys(), ['flat', 'train.bs', 'train.lr', 'train.optim.beta1', 'train.optim.name']);
    assert.equal(hp.get('train.optim.name'), 'adam');
    assert.equal(hp.get('train.bs'), 64);
  });
});

test('withParams returns what fn returns', () => {
  assert.equal(hp.withParams({ x: 2 }, () => hp.get('x') * 21), 42);
  assert.equal(hp.withParams({}, () => undefined), undefined);
});

test('an empty scope inherits nothing', () => {
  hp.withParams({ outer: 1 }, () => {
    hp.withParams({ inner: 2 }, () => {
      assert.equal(hp.has('outer'), false);
      assert.deepEqual(hp.keys(), ['inner']);
    }, { empty: true });
    assert.equal(hp.get('outer'), 1);
  });
});

test('native code reads the values during a sync fn, and not after', () => {
  const addon = nativeAddon();
  assert.equal(addon.readInt('native.n'), null);
  hp.withParams({ 'native.n': 7 }, () => {
    assert.equal(addon.readInt('native.n'), 7);
    hp.withParams({ 'native.n': 8 }, () => {
      assert.equal(addon.readInt('native.n'), 8);
      hp.set('native.n', 9);
      assert.equal(addon.readInt('native.n'), 9, 'a write through the binding is what native code reads');
    });
    assert.equal(addon.readInt('native.n'), 7);
  });
  assert.equal(addon.readInt('native.n'), null);
});

test('scopes are exited and freed even when fn throws', () => {
  const before = snapshot();
  const boom = new Error('boom');
  assert.throws(
    () =>
      hp.withParams({ 'fail.x': 1 }, () => {
        hp.withParams({ 'fail.y': 2 }, () => {
          assert.equal(hp.diagnostics().threadScopeDepth, before.threadScopeDepth + 2);
          throw boom;
        });
      }),
    (err) => err === boom,
  );
  assert.deepEqual(snapshot(), before);
  assert.equal(hp.has('fail.x'), false);
  assert.equal(nativeAddon().readInt('fail.y'), null);
  // The thread is usable afterwards: a new scope enters and exits in order.
  hp.withParams({ 'fail.x': 3 }, () => assert.equal(hp.get('fail.x'), 3));
  assert.deepEqual(snapshot(), before);
});

test('a scope left open by fn is reported, not silently corrupted', () => {
  const before = snapshot();
  let close;
  assert.throws(
    () => hp.withParams({ 'order.x': 1 }, () => {
      close = nativeAddon().pushAndLeaveOpen();
    }),
    (err) => err instanceof hp.HyperparameterError && err.code === 'HP_SCOPE_ORDER',
  );
  assert.equal(snapshot().liveScopeHandles, before.liveScopeHandles, 'our handle was freed');
  // The thread still holds both, so their values are visible until they are left in order:
  // the natively opened one, then ours (through a new handle to it, since ours is freed).
  assert.equal(hp.get('order.x'), 1);
  assert.equal(close(), 0);
  assert.equal(nativeAddon().exitCurrent(), 0);
  assert.deepEqual(snapshot(), before);
  assert.equal(hp.has('order.x'), false);
});
