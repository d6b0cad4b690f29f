'use strict';
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');

const PACKAGE = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]);

test('the README has its examples', () => {
  assert.ok(BLOCKS.length >= 3, `found ${BLOCKS.length} js blocks`);
});

// Each example runs as written (require('hyperparameter') resolves to this package from its own
// folder), and prints, line by line, what the comments after its console.log calls say.
describe('README examples', { concurrency: true }, () => {
  BLOCKS.forEach((code, index) => {
    test(`example ${index + 1} prints what it says`, async () => {
      const expected = code
        .split('\n')
        .filter((line) => line.includes('console.log(') && line.includes('; // '))
        .map((line) => line.slice(line.lastIndexOf('; // ') + 5).trim());
      assert.ok(expected.length > 0, 'an example without checked output');
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { cwd: PACKAGE, timeout: 60000 });
      assert.deepEqual(stdout.trimEnd().split('\n'), expected);
    });
  });
});
