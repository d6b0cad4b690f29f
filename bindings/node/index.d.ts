/**
 * hyperparameter for Node.js: scoped parameters in the engine that Python, C, C++ and Rust
 * share. Integers are numbers (an int beyond Number.MAX_SAFE_INTEGER read as a number is an
 * error); read the full int64 range with getBigInt or a BigInt default.
 */

/** A value the engine stores. A safe-integer number or a BigInt is stored as an int. */
export type Value = boolean | number | bigint | string | null;

/** Values for withParams: dotted keys, nested objects, or both. */
export interface Values {
  [key: string]: Value | Values;
}

export interface WithParamsOptions {
  /** Start from nothing: no outer scopes, no frozen baseline. */
  empty?: boolean;
}

/** The C ABI version this package is written against. */
export const ABI_VERSION: number;

/** Status codes of the C ABI, without the HP_ prefix. */
export const Status: Readonly<{
  OK: 0;
  NOT_FOUND: 1;
  TYPE_MISMATCH: 2;
  INVALID_KEY: 3;
  INVALID_ARGUMENT: 4;
  SCOPE_ORDER: 5;
  NULL_POINTER: 6;
  INVALID_UTF8: 7;
  KEY_COLLISION: 8;
  PANIC: 9;
  HOST_ERROR: 10;
}>;

/** An engine error, or a value the binding cannot pass to the engine. */
export class HyperparameterError extends Error {
  /** The C ABI status (see Status). */
  readonly status: number;
  /** The status's name, e.g. "HP_TYPE_MISMATCH". */
  readonly code: string;
  /** The parameter concerned, or null. */
  readonly key: string | null;
}

/** The engine library could not be found or loaded, or has another C ABI version. */
export class LibraryLoadError extends Error {}

/** Read a key; the default's type decides the result's type. */
export function get(key: string): Value;
export function get(key: string, defaultValue: boolean): boolean | null;
export function get(key: string, defaultValue: number): number | null;
export function get(key: string, defaultValue: bigint): bigint | null;
export function get(key: string, defaultValue: string): string | null;
export function get(key: string, defaultValue: null): Value;

export function getBool(key: string, defaultValue?: boolean): boolean;
export function getInt(key: string, defaultValue?: number): number;
export function getBigInt(key: string, defaultValue?: bigint): bigint;
export function getFloat(key: string, defaultValue?: number): number;
export function getString(key: string, defaultValue?: string): string;

export function has(key: string): boolean;
export function keys(): string[];

export function set(key: string, value: Value): void;
export function setBool(key: string, value: boolean): void;
export function setInt(key: string, value: number | bigint): void;
export function setFloat(key: string, value: number): void;
export function setString(key: string, value: string): void;

/** Run fn in a new scope holding values; the scope ends when fn returns, throws or settles. */
export function withParams<T>(values: Values, fn: () => T, options?: WithParamsOptions): T;

/** Publish what the calling code sees as the frozen baseline for every thread. */
export function frozen(): void;

/** XXH64 of the key's UTF-8 bytes, seed 42. */
export function hash(key: string): bigint;
/** Throw HP_INVALID_KEY unless key follows the key rules. */
export function checkKey(key: string): void;

export function libraryPath(): string;
export function abiVersion(): number;
export function diagnostics(): { liveScopeHandles: number; threadScopeDepth: number };
