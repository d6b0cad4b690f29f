'use strict';
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const hp = require('..');

const PACKAGE = path.join(__dirname, '..');

// A fresh Node process with the given environment changes (undefined removes a variable):
// what it printed, as JSON, or its error.
async function loadIn(changes) {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const script = `
    const hp = require(${JSON.stringify(PACKAGE)});
    try {
      console.log(JSON.stringify({ path: hp.libraryPath(), abi: hp.abiVersion(), x: hp.withParams({ x: 4 }, () => hp.get('x')) }));
    } catch (err) {
      console.log(JSON.stringify({ name: err.name, message: err.message }));
    }`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env, timeout: 60000 });
  return JSON.parse(stdout);
}

test('the library comes from HYPERPARAMETER_LIBRARY and has this ABI', () => {
  assert.ok(fs.statSync(hp.libraryPath()).isFile());
  if (process.env.HYPERPARAMETER_LIBRARY) assert.equal(hp.libraryPath(), process.env.HYPERPARAMETER_LIBRARY);
  assert.equal(hp.abiVersion(), hp.ABI_VERSION);
  // The version this package speaks is the header's: the two change together.
  const header = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'include', 'hyperparameter.h'), 'utf8');
  assert.equal(hp.ABI_VERSION, Number(/#define HP_ABI_VERSION (\d+)/.exec(header)[1]));
});

// Each case starts Node (and some a stand-in Python): run them side by side.
describe('loading in a fresh process', { concurrency: true }, () => {
  test('a missing file named by HYPERPARAMETER_LIBRARY is a clear error', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'libnothing.so');
    const got = await loadIn({ HYPERPARAMETER_LIBRARY: missing });
    assert.equal(got.name, 'LibraryLoadError');
    assert.ok(got.message.includes(missing), got.message);
    assert.match(got.message, /HYPERPARAMETER_LIBRARY/);
  });

  test('a file that is not the engine is a clear error', async () => {
    const got = await loadIn({ HYPERPARAMETER_LIBRARY: __filename });
    assert.equal(got.name, 'LibraryLoadError');
    assert.ok(got.message.includes(__filename), got.message);
  });

  test('without HYPERPARAMETER_LIBRARY the path comes from HYPERPARAMETER_PYTHON', async (t) => {
    // A stand-in for Python that answers the package's question the way hp.get_library() does.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-node-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fake = path.join(dir, 'fake-python.js');
    fs.writeFileSync(fake, `#!${process.execPath}\nconsole.log(${JSON.stringify(hp.libraryPath())});\n`, { mode: 0o755 });
    const got = await loadIn({ HYPERPARAMETER_LIBRARY: undefined, HYPERPARAMETER_PYTHON: fake });
    assert.deepEqual(got, { path: hp.libraryPath(), abi: hp.ABI_VERSION, x: 4 });
  });

  test('a Python that cannot answer is a clear error saying what to set', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'python3');
    const got = await loadIn({ HYPERPARAMETER_LIBRARY: undefined, HYPERPARAMETER_PYTHON: missing });
    assert.equal(got.name, 'LibraryLoadError');
    assert.ok(got.message.includes(missing), got.message);
    assert.match(got.message, /set HYPERPARAMETER_LIBRARY/i);
    assert.match(got.message, /HYPERPARAMETER_PYTHON/);
  });

  test('a Python without the package is a clear error with its reason', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-node-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fake = path.join(dir, 'fake-python.js');
    const reason = "ModuleNotFoundError: No module named 'hyperparameter'";
    fs.writeFileSync(fake, `#!${process.execPath}\nconsole.error(${JSON.stringify(reason)}); process.exit(1);\n`, {
      mode: 0o755,
    });
    const got = await loadIn({ HYPERPARAMETER_LIBRARY: undefined, HYPERPARAMETER_PYTHON: fake });
    assert.equal(got.name, 'LibraryLoadError');
    assert.ok(got.message.includes(reason), got.message);
  });
});
