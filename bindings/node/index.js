'use strict';
/**
 * hyperparameter for Node.js: scoped parameters in the same engine that Python, C, C++ and
 * Rust use, called through its C ABI (include/hyperparameter.h) with koffi.
 *
 * Integers are JavaScript numbers; an integer beyond Number.MAX_SAFE_INTEGER is an error when
 * read as a number (never a rounded value): read those with getBigInt or a BigInt default.
 */

const { AsyncLocalStorage } = require('node:async_hooks');
const { spawnSync } = require('node:child_process');
const os = require('node:os');

/** The C ABI version this package is written against (HP_ABI_VERSION of the header). */
const ABI_VERSION = 3;

/** Status codes of the C ABI (HP_OK, HP_NOT_FOUND, ...), without the HP_ prefix. */
const Status = Object.freeze({
  OK: 0,
  NOT_FOUND: 1,
  TYPE_MISMATCH: 2,
  INVALID_KEY: 3,
  INVALID_ARGUMENT: 4,
  SCOPE_ORDER: 5,
  NULL_POINTER: 6,
  INVALID_UTF8: 7,
  KEY_COLLISION: 8,
  PANIC: 9,
  HOST_ERROR: 10,
  OTHER_ENGINE: 11,
});

const STATUS_NAMES = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, `HP_${name}`]));

const Kind = Object.freeze({ NULL: 0, BOOL: 1, INT: 2, FLOAT: 3, STR: 4, HOST: 5 });

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * An error reported by the engine, or a value this binding cannot pass to it. `status` is the
 * C ABI status (see `Status`), `code` its name (`"HP_TYPE_MISMATCH"`), `key` the parameter
 * concerned when there is one; the message is the engine's own (it names key and value).
 *
 * @example
 * try {
 *   hp.withParams({ 'train.bs': 'many' }, () => hp.getInt('train.bs'));
 * } catch (err) {
 *   if (!(err instanceof hp.HyperparameterError)) throw err;
 *   console.log(err.code, err.message); // HP_TYPE_MISMATCH parameter "train.bs": cannot convert "many" to int
 * }
 */
class HyperparameterError extends Error {
  constructor(status, message, key, options) {
    super(message, options);
    this.name = 'HyperparameterError';
    this.status = status;
    this.code = STATUS_NAMES[status] || 'HP_UNKNOWN';
    this.key = key === undefined ? null : key;
  }
}

/**
 * The engine library could not be found or loaded, or its C ABI version differs from
 * `ABI_VERSION`. The message says which path was tried and what to set.
 *
 * @example
 * try {
 *   hp.abiVersion();
 * } catch (err) {
 *   if (err instanceof hp.LibraryLoadError) console.error(err.message);
 * }
 */
class LibraryLoadError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'LibraryLoadError';
  }
}

// --- locating and loading the engine -----------------------------------------------------

const PYTHON_PROBE = 'import hyperparameter as hp; print(hp.get_library())';
const HOW_TO_FIX =
  'Set HYPERPARAMETER_LIBRARY to the engine library\'s path (print it with: ' +
  `python3 -c "${PYTHON_PROBE}"), or HYPERPARAMETER_PYTHON to a Python that has the ` +
  'hyperparameter package installed.';

function askPython() {
  const chosen = process.env.HYPERPARAMETER_PYTHON;
  // An explicit choice is never second-guessed: falling back would hide a typo in it.
  const candidates = chosen ? [chosen] : ['python3', 'python'];
  const tried = [];
  for (const python of candidates) {
    const run = spawnSync(python, ['-c', PYTHON_PROBE], { encoding: 'utf8', timeout: 60000 });
    if (run.error) {
      tried.push(`${python}: ${run.error.code === 'ENOENT' ? 'not found' : run.error.message}`);
      continue;
    }
    const lines = (run.stdout || '').trim().split(/\r?\n/);
    const path = lines[lines.length - 1].trim();
    if (run.status === 0 && path) return { path, via: `${python} (hp.get_library())` };
    const errLines = (run.stderr || '').trim().split(/\r?\n/);
    tried.push(`${python}: ${errLines[errLines.length - 1] || `exit status ${run.status}`}`);
  }
  const which = chosen ? `${chosen} (from HYPERPARAMETER_PYTHON)` : 'python3 and python on PATH';
  throw new LibraryLoadError(
    `cannot find the hyperparameter engine library: HYPERPARAMETER_LIBRARY is not set and ` +
      `asking ${which} failed (${tried.join('; ')}). ${HOW_TO_FIX}`,
  );
}

function locateLibrary() {
  const fromEnv = process.env.HYPERPARAMETER_LIBRARY;
  if (fromEnv) return { path: fromEnv, via: 'HYPERPARAMETER_LIBRARY' };
  return askPython();
}

let native = null;
// A failed load is not retried: each attempt may start Python, and the answer will not change.
let loadFailure = null;

// koffi's type names are global to the process: a second copy of this package (another
// version in a nested node_modules) finds them already declared.
function declare(koffi, name, make) {
  try {
    return koffi.type(name);
  } catch {
    return make();
  }
}

function bind(koffi, lib) {
  declare(koffi, 'hp_scope', () => koffi.opaque('hp_scope'));
  const hpString = declare(koffi, 'hp_string', () => koffi.struct('hp_string', { ptr: 'void *', len: 'size_t' }));
  const hpValue = declare(koffi, 'hp_value', () =>
    koffi.struct('hp_value', {
      kind: 'int32_t',
      boolean: 'bool',
      integer: 'int64_t',
      number: 'double',
      string: hpString,
      host: 'void *',
    }),
  );
  // Keys and text go in as JS strings: koffi encodes them to UTF-8 with a NUL after, so even
  // "" arrives as a non-NULL pointer (the ABI answers HP_NULL_POINTER to NULL with length 0).
  // Scalar results come back through typed arrays, which koffi passes as pointers to their
  // memory: several times faster than its single-element-array out parameters.
  const f = (proto) => lib.func(proto);
  return {
    koffi,
    abiVersion: f('uint32_t hp_abi_version(void)'),
    lastError: f('const char *hp_last_error(void)'),
    engineCheck: f('int32_t hp_engine_check(void)'),
    hash: f('int32_t hp_hash(const char *key, size_t len, uint64_t *out)'),
    keyCheck: f('int32_t hp_key_check(const char *key, size_t len)'),
    scopeNew: f('hp_scope *hp_scope_new(const hp_scope *parent)'),
    scopeNewEmpty: f('hp_scope *hp_scope_new_empty(void)'),
    scopeEnter: f('int32_t hp_scope_enter(const hp_scope *scope)'),
    scopeExit: f('int32_t hp_scope_exit(const hp_scope *scope)'),
    scopeFree: f('void hp_scope_free(hp_scope *scope)'),
    scopeDepth: f('size_t hp_scope_depth(void)'),
    frozen: f('int32_t hp_frozen(void)'),
    keys: f('int32_t hp_keys(const hp_scope *scope, _Out_ hp_string *out)'),
    setNull: f('int32_t hp_set_null(const hp_scope *scope, const char *key, size_t key_len)'),
    setBool: f('int32_t hp_set_bool(const hp_scope *scope, const char *key, size_t key_len, bool value)'),
    setI64: f('int32_t hp_set_i64(const hp_scope *scope, const char *key, size_t key_len, int64_t value)'),
    setF64: f('int32_t hp_set_f64(const hp_scope *scope, const char *key, size_t key_len, double value)'),
    setStr: f(
      'int32_t hp_set_str(const hp_scope *scope, const char *key, size_t key_len, const char *value, size_t value_len)',
    ),
    // Declared with void *: the result struct is a byte buffer read in place (see valueLayout),
    // several times faster than koffi decoding it into an object.
    get: f('int32_t hp_get(const hp_scope *scope, const char *key, size_t key_len, void *out)'),
    getBool: f('int32_t hp_get_bool(const hp_scope *scope, const char *key, size_t key_len, uint8_t *out)'),
    getI64: f('int32_t hp_get_i64(const hp_scope *scope, const char *key, size_t key_len, int64_t *out)'),
    getF64: f('int32_t hp_get_f64(const hp_scope *scope, const char *key, size_t key_len, double *out)'),
    getStr: f(
      'int32_t hp_get_str(const hp_scope *scope, const char *key, size_t key_len, _Out_ hp_string *out)',
    ),
    stringFree: f('void hp_string_free(hp_string string)'),
    valueClear: f('void hp_value_clear(void *value)'),
    // One set of result buffers per module instance: calls are synchronous, and each worker
    // thread loads its own instance of this module.
    outU64: new BigUint64Array(1),
    outI64: new BigInt64Array(1),
    outF64: new Float64Array(1),
    outBool: new Uint8Array(1),
    value: new DataView(new ArrayBuffer(koffi.sizeof(hpValue))),
    valueLayout: valueLayout(koffi, hpValue, hpString),
  };
}

function valueLayout(koffi, hpValue, hpString) {
  const string = koffi.offsetof(hpValue, 'string');
  return {
    littleEndian: os.endianness() === 'LE',
    kind: koffi.offsetof(hpValue, 'kind'),
    boolean: koffi.offsetof(hpValue, 'boolean'),
    integer: koffi.offsetof(hpValue, 'integer'),
    number: koffi.offsetof(hpValue, 'number'),
    stringPtr: string + koffi.offsetof(hpString, 'ptr'),
    stringLen: string + koffi.offsetof(hpString, 'len'),
    wordSize: koffi.sizeof('void *'),
  };
}

function readWord(view, offset, layout) {
  return layout.wordSize === 8
    ? view.getBigUint64(offset, layout.littleEndian)
    : BigInt(view.getUint32(offset, layout.littleEndian));
}

function load() {
  if (native) return native;
  if (loadFailure) throw loadFailure;
  try {
    native = open();
  } catch (err) {
    loadFailure = err;
    throw err;
  }
  return native;
}

function open() {
  const { path, via } = locateLibrary();
  const koffi = require('koffi');
  let lib;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new LibraryLoadError(
      `cannot load the hyperparameter engine library "${path}" (from ${via}): ${err.message}. ${HOW_TO_FIX}`,
      { cause: err },
    );
  }
  const unusable = (err) =>
    new LibraryLoadError(`"${path}" (from ${via}) is not a usable hyperparameter engine library: ${err.message}`, {
      cause: err,
    });
  let abi;
  try {
    abi = lib.func('uint32_t hp_abi_version(void)')();
  } catch (err) {
    throw unusable(err);
  }
  // Checked before binding the rest, so another version's missing functions read as what
  // they are: a version mismatch.
  if (abi !== ABI_VERSION) {
    throw new LibraryLoadError(
      `the hyperparameter engine library "${path}" (from ${via}) has C ABI version ${abi}; ` +
        `this package needs version ${ABI_VERSION}. ${HOW_TO_FIX}`,
    );
  }
  let bound;
  try {
    bound = bind(koffi, lib);
  } catch (err) {
    throw unusable(err);
  }
  bound.path = path;
  // A second copy of the engine in the process would keep scopes of its own: refuse it here,
  // with the engine's message naming both files, rather than at the first read.
  if (bound.engineCheck() !== Status.OK) {
    throw new LibraryLoadError(`${bound.lastError()} (${path}, from ${via})`);
  }
  return bound;
}

// --- errors and text ---------------------------------------------------------------------

function engineError(n, status, key) {
  return new HyperparameterError(status, n.lastError() || STATUS_NAMES[status] || `status ${status}`, key);
}

function check(n, status, key) {
  if (status !== Status.OK) throw engineError(n, status, key);
}

function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return String(value);
}

// A lone surrogate has no UTF-8 form: encoding would silently turn it into U+FFFD, so a key
// would name another parameter and a value would change.
function requireKey(key) {
  if (typeof key !== 'string') {
    throw new HyperparameterError(Status.INVALID_KEY, `invalid key ${describe(key)}: a key is a string`, null);
  }
  if (!key.isWellFormed()) {
    throw new HyperparameterError(
      Status.INVALID_UTF8,
      `invalid key ${JSON.stringify(key)}: it contains a lone UTF-16 surrogate, which has no UTF-8 form`,
      key,
    );
  }
  return Buffer.byteLength(key, 'utf8');
}

function decodeString(n, str) {
  const text = str.ptr === null || Number(str.len) === 0 ? '' : n.koffi.decode.string(str.ptr, Number(str.len));
  n.stringFree(str);
  return text;
}

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function toSafeNumber(value, key) {
  if (value < SAFE_MIN || value > SAFE_MAX) {
    throw new HyperparameterError(
      Status.TYPE_MISMATCH,
      `parameter ${JSON.stringify(key)}: cannot convert ${value} to a JavaScript number exactly ` +
        '(beyond Number.MAX_SAFE_INTEGER); read it with getBigInt or a BigInt default',
      key,
    );
  }
  return Number(value);
}

// --- the current scope ---------------------------------------------------------------------

// The scope handle of the innermost withParams around the running code, per async context.
// Outside every withParams the binding passes NULL: the thread's current scope.
const storage = new AsyncLocalStorage();
let liveHandles = 0;

class Frame {
  constructor(ptr) {
    this.ptr = ptr;
    liveHandles += 1;
  }

  free(n) {
    if (this.ptr !== null) {
      n.scopeFree(this.ptr);
      this.ptr = null;
      liveHandles -= 1;
    }
  }
}

function currentScope(key) {
  const frame = storage.getStore();
  if (frame === undefined) return null;
  if (frame.ptr === null) {
    // A callback scheduled inside withParams (a timer, an unawaited promise) that runs after
    // the function settled: its scope is gone, and reading any other scope would be wrong.
    const what = key === undefined ? 'code' : `parameter ${JSON.stringify(key)}`;
    throw new HyperparameterError(
      Status.SCOPE_ORDER,
      `${what}: used from a callback that outlived its withParams scope (the scope ended when ` +
        'its function returned or settled); await such work inside the function',
      key,
    );
  }
  return frame.ptr;
}

// --- writing -------------------------------------------------------------------------------

function storeInt(n, scope, key, len, value) {
  if (typeof value === 'bigint') {
    if (value < I64_MIN || value > I64_MAX) {
      throw new HyperparameterError(
        Status.INVALID_ARGUMENT,
        `parameter ${JSON.stringify(key)}: ${value} is outside the 64-bit integer range`,
        key,
      );
    }
    check(n, n.setI64(scope, key, len, value), key);
    return;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw cannotStore(key, value, ' as int (give a safe integer number or a BigInt)');
  }
  check(n, n.setI64(scope, key, len, value), key);
}

/** The error for a value a typed setter cannot store: names the key and the value. */
function cannotStore(key, value, what) {
  return new HyperparameterError(
    Status.INVALID_ARGUMENT,
    `parameter ${JSON.stringify(key)}: cannot store ${describe(value)}${what}`,
    key,
  );
}

function storeString(n, scope, key, len, value) {
  if (typeof value !== 'string') {
    throw cannotStore(key, value, ' as a string');
  }
  if (!value.isWellFormed()) {
    throw new HyperparameterError(
      Status.INVALID_UTF8,
      `parameter ${JSON.stringify(key)}: the value contains a lone UTF-16 surrogate, which has no UTF-8 form`,
      key,
    );
  }
  check(n, n.setStr(scope, key, len, value, Buffer.byteLength(value, 'utf8')), key);
}

function store(n, scope, key, value) {
  const len = requireKey(key);
  switch (typeof value) {
    case 'boolean':
      check(n, n.setBool(scope, key, len, value), key);
      return;
    case 'bigint':
      storeInt(n, scope, key, len, value);
      return;
    case 'number':
      // -0 is integral but an int would lose its sign.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) storeInt(n, scope, key, len, value);
      else check(n, n.setF64(scope, key, len, value), key);
      return;
    case 'string':
      storeString(n, scope, key, len, value);
      return;
    default:
      if (value === null) {
        check(n, n.setNull(scope, key, len), key);
        return;
      }
      throw cannotStore(key, value, '; a value is a boolean, number, BigInt, string or null');
  }
}

/**
 * Set `key` in the innermost scope: the innermost `withParams` around the caller, or the
 * thread's current scope outside every `withParams` (where it stays for the thread's life).
 * Booleans, strings and null are stored as such; a BigInt or a safe-integer number as an int;
 * any other number as a float (use `setFloat` to store 2 as a float).
 *
 * @param {string} key dotted key, e.g. "train.lr"
 * @param {boolean|number|bigint|string|null} value
 * @example
 * hp.withParams({}, () => {
 *   hp.set('train.lr', 0.01);
 *   hp.get('train.lr'); // 0.01
 * });
 */
function set(key, value) {
  const n = load();
  store(n, currentScope(key), key, value);
}

/**
 * Set `key` to a boolean in the innermost scope (see `set`).
 *
 * @param {string} key
 * @param {boolean} value
 * @example
 * hp.setBool('train.amp', true);
 */
function setBool(key, value) {
  const n = load();
  const scope = currentScope(key);
  const len = requireKey(key);
  if (typeof value !== 'boolean') {
    throw cannotStore(key, value, ' as bool');
  }
  check(n, n.setBool(scope, key, len, value), key);
}

/**
 * Set `key` to a 64-bit integer in the innermost scope (see `set`): a safe-integer number or
 * any BigInt in the int64 range.
 *
 * @param {string} key
 * @param {number|bigint} value
 * @example
 * hp.setInt('train.batch_size', 64);
 * hp.setInt('run.seed', 2n ** 62n);
 */
function setInt(key, value) {
  const n = load();
  const scope = currentScope(key);
  storeInt(n, scope, key, requireKey(key), value);
}

/**
 * Set `key` to a float in the innermost scope (see `set`); NaN and infinities are kept.
 *
 * @param {string} key
 * @param {number} value
 * @example
 * hp.setFloat('train.lr', 1); // a float 1.0, where set('train.lr', 1) stores an int
 */
function setFloat(key, value) {
  const n = load();
  const scope = currentScope(key);
  const len = requireKey(key);
  if (typeof value !== 'number') {
    throw cannotStore(key, value, ' as float');
  }
  check(n, n.setF64(scope, key, len, value), key);
}

/**
 * Set `key` to a string in the innermost scope (see `set`).
 *
 * @param {string} key
 * @param {string} value
 * @example
 * hp.setString('train.optimizer', 'adam');
 */
function setString(key, value) {
  const n = load();
  const scope = currentScope(key);
  storeString(n, scope, key, requireKey(key), value);
}

// --- reading -------------------------------------------------------------------------------

const MISSING = Symbol('missing');

// One hp_get: the value with its own kind, or MISSING. The caller converts.
function readRaw(n, scope, key, len) {
  const view = n.value;
  const status = n.get(scope, key, len, view);
  if (status === Status.NOT_FOUND) return MISSING;
  check(n, status, key);
  const layout = n.valueLayout;
  switch (view.getInt32(layout.kind, layout.littleEndian)) {
    case Kind.NULL:
      return null;
    case Kind.BOOL:
      return view.getUint8(layout.boolean) !== 0;
    case Kind.INT:
      return view.getBigInt64(layout.integer, layout.littleEndian);
    case Kind.FLOAT:
      return view.getFloat64(layout.number, layout.littleEndian);
    case Kind.STR: {
      const ptr = readWord(view, layout.stringPtr, layout);
      const size = Number(readWord(view, layout.stringLen, layout));
      const text = ptr === 0n || size === 0 ? '' : n.koffi.decode.string(ptr, size);
      n.valueClear(view);
      return text;
    }
    default:
      throw new HyperparameterError(
        Status.TYPE_MISMATCH,
        `parameter ${JSON.stringify(key)}: holds a host object (set by another runtime, such as a ` +
          'Python object), which JavaScript cannot read',
        key,
      );
  }
}

// A typed read; MISSING when the key is not set, an error when it cannot convert.
function readTyped(n, scope, key, len, type) {
  let status;
  switch (type) {
    case 'bool':
      status = n.getBool(scope, key, len, n.outBool);
      if (status === Status.OK) return n.outBool[0] !== 0;
      break;
    case 'int':
      status = n.getI64(scope, key, len, n.outI64);
      if (status === Status.OK) return n.outI64[0];
      break;
    case 'float':
      status = n.getF64(scope, key, len, n.outF64);
      if (status === Status.OK) return n.outF64[0];
      break;
    default: {
      // Most strings are stored as strings: one hp_get, whose result frees cheaply by pointer
      // (hp_string_free takes its struct by value, which koffi marshals slowly).
      const value = readRaw(n, scope, key, len);
      if (value === MISSING || typeof value === 'string') return value;
      const out = {};
      status = n.getStr(scope, key, len, out);
      if (status === Status.OK) return decodeString(n, out);
    }
  }
  if (status === Status.NOT_FOUND) return MISSING;
  throw engineError(n, status, key);
}

function typedGetter(type, finish) {
  return function read(key, defaultValue) {
    const n = load();
    const scope = currentScope(key);
    const value = readTyped(n, scope, key, requireKey(key), type);
    if (value === MISSING) {
      if (defaultValue === undefined) throw notFound(n, key);
      return defaultValue;
    }
    return finish(value, key);
  };
}

// Right after the read that missed, so hp_last_error() is still that read's message.
function notFound(n, key) {
  return engineError(n, Status.NOT_FOUND, key);
}

const identity = (value) => value;

/**
 * Read `key` as a boolean by the engine's rules ("true/yes/on/1", "false/no/off/0", any case,
 * and the numbers 0 and 1). Without a default, a missing key throws `HP_NOT_FOUND`; a value
 * that does not convert always throws `HP_TYPE_MISMATCH`.
 *
 * @param {string} key
 * @param {boolean} [defaultValue] returned only when the key is not set
 * @returns {boolean}
 * @example
 * hp.withParams({ 'train.amp': 'yes' }, () => hp.getBool('train.amp', false)); // true
 */
const getBool = typedGetter('bool', identity);

/**
 * Read `key` as an integer, returned as a number. Exact integers only ("3", 3.0 and "1e3"
 * convert; 3.5 throws). An integer beyond Number.MAX_SAFE_INTEGER throws `HP_TYPE_MISMATCH`
 * instead of rounding: read it with `getBigInt`.
 *
 * @param {string} key
 * @param {number} [defaultValue] returned only when the key is not set
 * @returns {number}
 * @example
 * hp.withParams({ 'train.batch_size': '64' }, () => hp.getInt('train.batch_size', 32)); // 64
 */
const getInt = typedGetter('int', toSafeNumber);

/**
 * Read `key` as a 64-bit integer, returned as a BigInt (the full int64 range).
 *
 * @param {string} key
 * @param {bigint} [defaultValue] returned only when the key is not set
 * @returns {bigint}
 * @example
 * hp.withParams({ 'run.seed': 2n ** 60n }, () => hp.getBigInt('run.seed')); // 1152921504606846976n
 */
const getBigInt = typedGetter('int', identity);

/**
 * Read `key` as a float (ints, floats and float text convert).
 *
 * @param {string} key
 * @param {number} [defaultValue] returned only when the key is not set
 * @returns {number}
 * @example
 * hp.withParams({ 'train.lr': '1e-3' }, () => hp.getFloat('train.lr', 0.1)); // 0.001
 */
const getFloat = typedGetter('float', identity);

/**
 * Read `key` as a string (any value but null converts: 64 reads as "64").
 *
 * @param {string} key
 * @param {string} [defaultValue] returned only when the key is not set
 * @returns {string}
 * @example
 * hp.withParams({ 'train.optimizer': 'adam' }, () => hp.getString('train.optimizer', 'sgd')); // "adam"
 */
const getString = typedGetter('str', identity);

const DEFAULT_TYPES = { boolean: 'bool', bigint: 'int', number: 'float', string: 'str' };

/**
 * Read `key` as seen from the innermost scope. The default's type decides the result's type,
 * as in Python: a boolean default reads a boolean, a BigInt default a BigInt, a number default
 * a number (by float rules: JavaScript has one number type), a string default a string. An
 * explicit null stored under the key is a value and is returned as null. With no default (or
 * `null`), the value comes back with its own type (an int as a number, see `getInt`), and a
 * missing key throws `HP_NOT_FOUND` (or returns null). A value that cannot convert throws.
 *
 * @param {string} key
 * @param {boolean|number|bigint|string|null} [defaultValue]
 * @example
 * const lr = hp.get('train.lr', 0.001);       // 0.001 unless a scope sets train.lr
 * hp.withParams({ 'train.lr': 0.01 }, () => hp.get('train.lr', 0.001)); // 0.01
 */
function get(key, defaultValue) {
  const n = load();
  const scope = currentScope(key);
  const len = requireKey(key);
  const value = readRaw(n, scope, key, len);
  if (value === MISSING) {
    if (defaultValue === undefined) throw notFound(n, key);
    return defaultValue;
  }
  if (value === null || defaultValue === undefined || defaultValue === null) {
    return typeof value === 'bigint' ? toSafeNumber(value, key) : value;
  }
  const type = DEFAULT_TYPES[typeof defaultValue];
  if (type === undefined) {
    throw new TypeError(`get("${key}", default): the default must be a boolean, number, BigInt, string or null`);
  }
  const matches =
    (type === 'bool' && typeof value === 'boolean') ||
    (type === 'int' && typeof value === 'bigint') ||
    (type === 'float' && typeof value === 'number') ||
    (type === 'str' && typeof value === 'string');
  if (matches) return value;
  // The engine's int-to-float conversion rounds to nearest, as Number() does.
  if (type === 'float' && typeof value === 'bigint') return Number(value);
  // A second read converts by the engine's rules and, when that fails, gives its message.
  const converted = readTyped(n, scope, key, len, type);
  if (converted === MISSING) return defaultValue;
  return converted;
}

/**
 * Whether `key` is set in the innermost scope or any scope it reads through (an explicit
 * null counts as set).
 *
 * @param {string} key
 * @returns {boolean}
 * @example
 * hp.withParams({ 'a.b': null }, () => hp.has('a.b')); // true
 */
function has(key) {
  const n = load();
  const scope = currentScope(key);
  return readRaw(n, scope, key, requireKey(key)) !== MISSING;
}

/**
 * Every key visible from the innermost scope, sorted.
 *
 * @returns {string[]}
 * @example
 * hp.withParams({ train: { lr: 0.1, bs: 8 } }, () => hp.keys()); // [ 'train.bs', 'train.lr' ] (plus outer keys)
 */
function keys() {
  const n = load();
  const out = {};
  check(n, n.keys(currentScope(), out));
  const text = decodeString(n, out);
  return text === '' ? [] : text.split('\n');
}

/**
 * The engine's hash of a key: XXH64 of its UTF-8 bytes with seed 42, as a BigInt (the same
 * number `hp.hash_key` gives in Python and `hp::hash` in C++). Any string hashes; the key is
 * not validated.
 *
 * @param {string} key
 * @returns {bigint}
 * @example
 * hp.hash('train.lr'); // 1730067025249070946n
 */
function hash(key) {
  const n = load();
  const len = requireKey(key);
  check(n, n.hash(key, len, n.outU64), key);
  return n.outU64[0];
}

/**
 * Throw `HP_INVALID_KEY` (with the engine's reason) unless `key` follows the key rules:
 * segments of letters, digits, `_` or `-`, joined by `.`, at most 1024 bytes.
 *
 * @param {string} key
 * @example
 * hp.checkKey('train.lr'); // fine
 * hp.checkKey('train..lr'); // throws: invalid key "train..lr": key has an empty segment
 */
function checkKey(key) {
  const n = load();
  check(n, n.keyCheck(key, requireKey(key)), key);
}

// --- scopes ----------------------------------------------------------------------------------

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function flatten(values, prefix, out) {
  for (const [name, value] of Object.entries(values)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (isPlainObject(value)) flatten(value, key, out);
    else out.push([key, value]);
  }
  return out;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

// Leave the thread's scope; an error when it was not the innermost (fn left a natively entered
// scope open, or exited ours), with fn's own error, if any, as its cause.
function exitError(n, frame, failure) {
  const status = n.scopeExit(frame.ptr);
  if (status === Status.OK) return null;
  return new HyperparameterError(status, n.lastError(), null, failure === undefined ? undefined : { cause: failure });
}

/**
 * Run `fn` in a new scope holding `values`, and end the scope when `fn` returns, throws, or
 * (for a function returning a promise) settles. Keys may be dotted (`{'train.lr': 0.1}`) or
 * nested (`{train: {lr: 0.1}}`). Inside, reads see these values over those of outer scopes,
 * and `set` writes into this scope; nothing is left behind when it ends.
 *
 * The binding's own reads follow the async context: concurrent `withParams` calls that await
 * in turn each see their own values. Native code (another addon) reads the thread's current
 * scope, which holds these values while `fn` runs synchronously: all of a sync `fn`, and an
 * async `fn` up to its first `await`.
 *
 * @template T
 * @param {Record<string, unknown>} values
 * @param {() => T} fn
 * @param {{empty?: boolean}} [options] `empty: true` starts from nothing: no outer scopes, no
 *   frozen baseline
 * @returns {T} what `fn` returns (a promise for an async `fn`)
 * @example
 * const lr = () => hp.get('train.lr', 0.001);
 * hp.withParams({ 'train.lr': 0.01 }, () => lr()); // 0.01
 * await hp.withParams({ train: { lr: 0.1 } }, async () => {
 *   await somethingSlow();
 *   return lr(); // 0.1, whatever other requests do meanwhile
 * });
 */
function withParams(values, fn, options) {
  if (!isPlainObject(values)) throw new TypeError('withParams(values, fn): values must be a plain object');
  if (typeof fn !== 'function') throw new TypeError('withParams(values, fn): fn must be a function');
  const n = load();
  const entries = flatten(values, '', []);
  const empty = options !== undefined && options !== null && options.empty === true;
  const frame = new Frame(empty ? n.scopeNewEmpty() : n.scopeNew(currentScope()));
  try {
    for (const [key, value] of entries) store(n, frame.ptr, key, value);
    check(n, n.scopeEnter(frame.ptr));
  } catch (err) {
    frame.free(n);
    throw err;
  }
  let result;
  try {
    result = storage.run(frame, fn);
  } catch (err) {
    const error = exitError(n, frame, err);
    frame.free(n);
    throw error || err;
  }
  // Leave the thread's scope now, before the event loop runs anyone else; an async fn keeps
  // its handle (through the async context) until it settles.
  const error = exitError(n, frame);
  if (error) {
    frame.free(n);
    // Its outcome is reported through this error: keep a rejection from being unhandled.
    if (isThenable(result)) Promise.resolve(result).catch(() => {});
    throw error;
  }
  if (isThenable(result)) return Promise.resolve(result).finally(() => frame.free(n));
  frame.free(n);
  return result;
}

/**
 * Publish what the calling code sees now as the frozen baseline: every thread (worker threads
 * too, and native threads) reads it for keys its own scopes do not set, and new threads start
 * from it.
 *
 * @example
 * hp.withParams({ 'train.lr': 0.01 }, () => hp.frozen());
 * hp.get('train.lr', 0.001); // 0.01, here and in workers started later
 */
function frozen() {
  const n = load();
  const scope = currentScope();
  if (scope === null) {
    check(n, n.frozen());
    return;
  }
  // hp_frozen publishes the thread's current scope, which in an async continuation is not
  // this context's: enter ours around the call.
  check(n, n.scopeEnter(scope));
  const status = n.frozen();
  const error = status === Status.OK ? null : engineError(n, status, null);
  check(n, n.scopeExit(scope));
  if (error) throw error;
}

// --- the library ---------------------------------------------------------------------------

/**
 * The path of the engine library this package loaded (loading it if needed).
 *
 * @returns {string}
 * @example
 * console.log(hp.libraryPath());
 */
function libraryPath() {
  return load().path;
}

/**
 * The C ABI version of the loaded engine (equal to `ABI_VERSION`, or loading fails).
 *
 * @returns {number}
 * @example
 * hp.abiVersion() === hp.ABI_VERSION; // true
 */
function abiVersion() {
  return load().abiVersion();
}

/**
 * Counters for leak and order checks: how many scope handles this binding holds now, and how
 * many scopes the calling thread has entered and not exited (as C's `hp_scope_depth`).
 *
 * @returns {{liveScopeHandles: number, threadScopeDepth: number}}
 * @example
 * const before = hp.diagnostics();
 * await hp.withParams({ a: 1 }, async () => {});
 * hp.diagnostics().liveScopeHandles === before.liveScopeHandles; // true
 */
function diagnostics() {
  const n = load();
  return { liveScopeHandles: liveHandles, threadScopeDepth: Number(n.scopeDepth()) };
}

module.exports = {
  ABI_VERSION,
  Status,
  HyperparameterError,
  LibraryLoadError,
  get,
  getBool,
  getInt,
  getBigInt,
  getFloat,
  getString,
  has,
  keys,
  set,
  setBool,
  setInt,
  setFloat,
  setString,
  withParams,
  frozen,
  hash,
  checkKey,
  libraryPath,
  abiVersion,
  diagnostics,
};
