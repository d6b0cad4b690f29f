'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const hp = require('..');
const { nativeAddon, snapshot, tick } = require('./helpers');

function gate() {
  let open;
  const opened = new Promise((resolve) => { open = resolve; });
  return { opened, open };
}

test('two concurrent withParams that await in turn see only their own values', async () => {
  const before = snapshot();
  const a = gate();
  const b = gate();
  const log = [];
  const job = (name, own, other) => hp.withParams({ 'job.name': name }, async () => {
    const seen = [hp.get('job.name')];
    log.push(`${name} started`);
    await own.opened;
    seen.push(hp.get('job.name'));
    hp.set('job.step', name === 'a' ? 1 : 2);
    other.open();
    await tick();
    seen.push(hp.get('job.name'), hp.get('job.step'));
    log.push(`${name} done`);
    return seen;
  });
  const runA = job('a', a, b);
  const runB = job('b', b, a);
  // Both have started before either resumes; a resumes first and opens b's gate, so b writes
  // job.step while a is still suspended.
  assert.deepEqual(log, ['a started', 'b started']);
  a.open();
  const [seenA, seenB] = await Promise.all([runA, runB]);
  assert.deepEqual(seenA, ['a', 'a', 'a', 1]);
  assert.deepEqual(seenB, ['b', 'b', 'b', 2]);
  assert.equal(hp.has('job.name'), false, 'nothing leaks out');
  assert.equal(hp.has('job.step'), false);
  assert.deepEqual(snapshot(), before, 'both handles freed, the thread left as it was');
});

test('many interleaved requests each keep their own values', async () => {
  const before = snapshot();
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      hp.withParams({ request: { id: i } }, async () => {
        await tick((i * 7) % 5);
        const first = hp.get('request.id');
        const nested = await hp.withParams({ 'request.part': i * 10 }, async () => {
          await tick(i % 3);
          return [hp.get('request.id'), hp.get('request.part')];
        });
        return [first, ...nested, hp.has('request.part')];
      }),
    ),
  );
  results.forEach((got, i) => assert.deepEqual(got, [i, i, i * 10, false]));
  assert.deepEqual(snapshot(), before);
});

test('a sync withParams inside an async continuation builds on the async scope', async () => {
  await hp.withParams({ outer: 'async' }, async () => {
    await tick();
    hp.withParams({ inner: 1 }, () => {
      assert.equal(hp.get('outer'), 'async');
      assert.equal(nativeAddon().readInt('inner'), 1, 'native code sees the inner scope ...');
    });
    assert.equal(hp.has('inner'), false);
  });
});

test('native code sees the values up to the first await, and the binding sees them throughout', async () => {
  const addon = nativeAddon();
  const seen = await hp.withParams({ 'native.k': 5 }, async () => {
    const early = addon.readInt('native.k');
    await tick();
    return [early, addon.readInt('native.k'), hp.get('native.k')];
  });
  assert.deepEqual(seen, [5, null, 5]);
});

test('a rejection inside withParams propagates and still frees the scope', async () => {
  const before = snapshot();
  const boom = new Error('rejected');
  await assert.rejects(
    hp.withParams({ 'fail.async': 1 }, async () => {
      await tick();
      assert.equal(hp.get('fail.async'), 1);
      throw boom;
    }),
    (err) => err === boom,
  );
  assert.deepEqual(snapshot(), before);
  assert.equal(hp.has('fail.async'), false);
});

test('a returned promise that rejects before any await also frees the scope', async () => {
  const before = snapshot();
  await assert.rejects(hp.withParams({ x: 1 }, () => Promise.reject(new RangeError('early'))), RangeError);
  assert.deepEqual(snapshot(), before);
});

test('while an async fn is pending its handle lives; after it settles it is freed', async () => {
  const before = snapshot();
  const g = gate();
  const pending = hp.withParams({ x: 1 }, () => g.opened);
  assert.equal(snapshot().liveScopeHandles, before.liveScopeHandles + 1);
  assert.equal(snapshot().threadScopeDepth, before.threadScopeDepth, 'not left entered on the thread');
  g.open('done');
  assert.equal(await pending, 'done');
  assert.deepEqual(snapshot(), before);
});

test('a callback that outlives its scope gets a clear error, not another scope\'s values', async () => {
  let late;
  const finished = gate();
  await hp.withParams({ 'late.key': 1 }, async () => {
    setTimeout(() => {
      try {
        late = hp.get('late.key', 0);
      } catch (err) {
        late = err;
      }
      finished.open();
    }, 5);
  });
  await finished.opened;
  assert.ok(late instanceof hp.HyperparameterError, `got ${late}`);
  assert.equal(late.code, 'HP_SCOPE_ORDER');
  assert.equal(late.key, 'late.key');
  assert.match(late.message, /outlived its withParams scope/);
});
