'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const hp = require('..');
const { nativeAddon } = require('./helpers');

// Runs in a worker thread: its own module instance, its own native thread state.
function readInWorker(keys) {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const hp = require(workerData.pkg);
    parentPort.postMessage(workerData.keys.map((key) => hp.get(key, null)));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { pkg: path.join(__dirname, '..'), keys } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

test('a worker thread does not see the scopes of the thread that started it', async () => {
  await hp.withParams({ 'thread.local': 1 }, async () => {
    assert.deepEqual(await readInWorker(['thread.local']), [null]);
  });
});

test('frozen() publishes the baseline that other threads read', async (t) => {
  t.after(() => nativeAddon().resetBaseline());
  await hp.withParams({ 'base.lr': 0.5, 'base.name': 'run-1' }, async () => {
    await Promise.resolve();
    // Called from an async continuation: what this context sees, not the thread's root.
    hp.frozen();
  });
  assert.equal(hp.get('base.lr', 0.1), 0.5, 'the baseline is read outside every scope');
  hp.withParams({ 'base.lr': 0.9 }, () => {
    assert.equal(hp.get('base.lr', 0.1), 0.9, 'scopes still override it');
  });
  assert.deepEqual(await readInWorker(['base.lr', 'base.name']), [0.5, 'run-1']);
  nativeAddon().resetBaseline();
  assert.equal(hp.has('base.lr'), false);
});

test('a write outside every withParams stays in this thread\'s own scope', async () => {
  hp.set('thread.root', 1);
  assert.equal(hp.get('thread.root'), 1);
  hp.withParams({}, () => assert.equal(hp.get('thread.root'), 1, 'scopes opened later see it'));
  assert.deepEqual(await readInWorker(['thread.root']), [null]);
});
