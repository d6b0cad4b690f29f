'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const hp = require('..');

const VECTORS = path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'hash.json');

// The hashes exceed 2^53, so JSON.parse would round them: quote them before parsing.
function loadVectors() {
  const text = fs.readFileSync(VECTORS, 'utf8').replace(/("xxh64_seed42"\s*:\s*)(\d+)/g, '$1"$2"');
  return JSON.parse(text);
}

test('the vector file is the XXH64 seed-42 file the other languages use', () => {
  const data = loadVectors();
  assert.equal(data.algorithm, 'XXH64');
  assert.equal(data.seed, 42);
  assert.ok(data.vectors.length >= 20, `only ${data.vectors.length} vectors`);
  const beyond = data.vectors.filter((v) => BigInt(v.xxh64_seed42) > BigInt(Number.MAX_SAFE_INTEGER));
  assert.ok(beyond.length > 0, 'no hash beyond 2^53: the BigInt path would go untested');
});

test('hash() equals every shared vector, as a BigInt', () => {
  const { vectors } = loadVectors();
  for (const vector of vectors) {
    assert.equal(Buffer.byteLength(vector.key, 'utf8'), vector.utf8_len, `UTF-8 length of ${vector.key}`);
    const got = hp.hash(vector.key);
    assert.equal(typeof got, 'bigint');
    assert.equal(got, BigInt(vector.xxh64_seed42), `hash of ${JSON.stringify(vector.key)}`);
  }
});

test('hash() hashes any string, keys or not, and documents train.lr', () => {
  assert.equal(hp.hash('train.lr'), 1730067025249070946n);
  assert.notEqual(hp.hash('a..b'), hp.hash('a.b'));
  assert.equal(hp.hash('x\0y'), hp.hash('x\0y'));
  assert.notEqual(hp.hash('x\0y'), hp.hash('x'));
});

test('hash() refuses a string with no UTF-8 form', () => {
  assert.throws(() => hp.hash('a\uD800'), { name: 'HyperparameterError', code: 'HP_INVALID_UTF8' });
});
