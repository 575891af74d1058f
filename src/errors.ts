/**
 * The one error type of wren-mqtt: an Error with a stable `code` naming what was
 * wrong; `message` adds detail for people. A factory rather than a subclass:
 * subclassing Error needs an ES5 `__extends` helper and breaks `instanceof` on
 * some engines, and every byte counts in the tiny bundle.
 *
 * Errors are values: the codec reports them through its error callback, the
 * client through callbacks and the `error` event. Nothing throws out of the
 * data path.
 */
export interface WrenError extends Error {
  code: string;
}

/**
 * `typeof x == "string"` once: the codec reports errors as code strings in
 * place of bytes or packets, so the check is everywhere (14 bytes a use).
 */
export function isStr(x: unknown): x is string {
  return typeof x == "string";
}

/** Report `err` to `cb`, or as an `error` event of `c` when there is none. */
export function fail(c: { emit(ev: string, ...a: any[]): unknown }, cb: ((err: Error) => void) | undefined | null, err: Error): void {
  cb ? cb(err) : c.emit(ERROR, err);
}

export function wrenError(code: string, detail?: string): WrenError {
  const e = new Error(detail ? code + ": " + detail : code) as WrenError;
  e.code = code;
  return e;
}

/** The `error` event's name, held once (a `var`: esbuild would inline a `const`). */
export var ERROR = "error";
