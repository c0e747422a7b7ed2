/**
 * The one place that starts jax-js. Every engine entry point awaits `ensureRuntime()` before it
 * touches an array: it installs the iterator-helper methods that jax-js calls but Node 20 lacks
 * (Iterator.prototype.map/filter/... arrived in Node 22) and initialises the WebAssembly backend.
 */
import { defaultDevice, init } from '@jax-js/jax';

type AnyIter = Iterator<unknown> & { [Symbol.iterator](): AnyIter };

/** Installs the ES2025 iterator helpers on %IteratorPrototype% where they are missing. */
export function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  function* gen<T>(it: Iterator<T>): Generator<T> {
    for (let r = it.next(); !r.done; r = it.next()) yield r.value;
  }
  function* mapGen(src: Iterator<unknown>, fn: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of gen(src)) yield fn(v, i++);
  }
  function* filterGen(src: Iterator<unknown>, fn: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of gen(src)) if (fn(v, i++)) yield v;
  }
  function* flatMapGen(src: Iterator<unknown>, fn: (v: unknown, i: number) => Iterable<unknown>) {
    let i = 0;
    for (const v of gen(src)) yield* fn(v, i++);
  }
  function* takeGen(src: Iterator<unknown>, n: number) {
    if (n <= 0) return;
    let i = 0;
    for (const v of gen(src)) {
      yield v;
      if (++i >= n) return;
    }
  }
  function* dropGen(src: Iterator<unknown>, n: number) {
    let i = 0;
    for (const v of gen(src)) if (i++ >= n) yield v;
  }
  const helpers: Record<string, (this: AnyIter, ...args: never[]) => unknown> = {
    map(this: AnyIter, fn: (v: unknown, i: number) => unknown) {
      return mapGen(this, fn);
    },
    filter(this: AnyIter, fn: (v: unknown, i: number) => unknown) {
      return filterGen(this, fn);
    },
    flatMap(this: AnyIter, fn: (v: unknown, i: number) => Iterable<unknown>) {
      return flatMapGen(this, fn);
    },
    take(this: AnyIter, n: number) {
      return takeGen(this, n);
    },
    drop(this: AnyIter, n: number) {
      return dropGen(this, n);
    },
    toArray(this: AnyIter) {
      return [...gen(this)];
    },
    forEach(this: AnyIter, fn: (v: unknown, i: number) => void) {
      let i = 0;
      for (const v of gen(this)) fn(v, i++);
    },
    some(this: AnyIter, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (const v of gen(this)) if (fn(v, i++)) return true;
      return false;
    },
    every(this: AnyIter, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (const v of gen(this)) if (!fn(v, i++)) return false;
      return true;
    },
    find(this: AnyIter, fn: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (const v of gen(this)) if (fn(v, i++)) return v;
      return undefined;
    },
    reduce(this: AnyIter, fn: (acc: unknown, v: unknown, i: number) => unknown, ...init: unknown[]) {
      let i = 0;
      let acc: unknown;
      const it = gen(this);
      if (init.length > 0) acc = init[0];
      else {
        const first = it.next();
        if (first.done) throw new TypeError('Reduce of empty iterator with no initial value');
        acc = first.value;
        i = 1;
      }
      for (const v of it) acc = fn(acc, v, i++);
      return acc;
    },
  };
  for (const [name, fn] of Object.entries(helpers)) {
    if (typeof proto[name] !== 'function')
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * jax-js tests `data instanceof Float16Array` when it builds arrays; Node 20 has no Float16Array,
 * so that test throws. A stand-in class makes the test false. The engine never uses float16.
 */
export function installFloat16Stub(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Float16Array !== 'function') {
    g.Float16Array = class Float16ArrayUnavailable {
      constructor() {
        throw new Error('Float16Array is not available in this Node version (the rlmkit engine uses float32)');
      }
    };
  }
}

let ready: Promise<void> | undefined;

/** Installs the polyfill and starts the wasm backend once per process; safe to await repeatedly. */
export function ensureRuntime(): Promise<void> {
  if (!ready) {
    installIteratorHelpers();
    installFloat16Stub();
    ready = init('wasm').then(() => {
      defaultDevice('wasm');
    });
  }
  return ready;
}

// Installed at import time so that synchronous engine code (model construction, jitted calls)
// works even before ensureRuntime() resolves; ensureRuntime() then makes the wasm backend explicit.
installIteratorHelpers();
installFloat16Stub();
