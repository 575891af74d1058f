/**
 * A minimal event emitter for engines without one. Espruino gives every
 * object `on`/`emit`/`removeListener` natively, so the client core carries no
 * emitter; the Node entry (and tests) mix this one in with
 * `installEmitter(Client.prototype)`. Listeners live in `_ev` per instance.
 *
 * Like Espruino (and unlike Node's EventEmitter), emitting `error` with no
 * listener does not throw.
 */
export interface Emitter {
  on(event: string, fn: (...args: any[]) => void): this;
  once(event: string, fn: (...args: any[]) => void): this;
  removeListener(event: string, fn: (...args: any[]) => void): this;
  off(event: string, fn: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  emit(event: string, ...args: any[]): boolean;
}

type Fn = (...args: any[]) => void;
interface Holder {
  _ev?: { [event: string]: Fn[] };
}

/** `f` itself, passed through a call: a function expression there gets no inferred name. */
function unnamed(f: Fn): Fn {
  return f;
}

export function installEmitter(proto: object): void {
  var p = proto as Emitter & Holder;
  p.on = function (this: Holder, ev: string, fn: Fn) {
    var m = this._ev || (this._ev = {}),
      l = m[ev];
    // a first listener in an array of its own size (push on [] would reserve 17 slots)
    l ? l.push(fn) : (m[ev] = [fn]);
    return this as any;
  };
  p.once = function (this: Emitter, ev: string, fn: Fn) {
    // (`this` in the wrapper: emit calls listeners on the emitter. Not a named
    // function: a loader that keeps names, as tsx does, gives each one a
    // property table of its own)
    var w = unnamed(function (this: Emitter) {
      this.removeListener(ev, w);
      fn.apply(this, arguments as any);
    });
    return this.on(ev, w);
  };
  p.removeListener = function (this: Holder, ev: string, fn: Fn) {
    var l = this._ev && this._ev[ev],
      i = l ? l.indexOf(fn) : -1;
    // copy-on-write so that an emit in progress keeps its listener list;
    // the last one gone, no list (not an empty one held per event)
    if (i >= 0) l!.length > 1 ? (this._ev![ev] = l!.slice()).splice(i, 1) : (this._ev![ev] = undefined as any);
    return this as any;
  };
  p.off = p.removeListener;
  p.removeAllListeners = function (this: Holder, ev?: string) {
    if (ev == null) this._ev = {};
    else if (this._ev) delete this._ev[ev];
    return this as any;
  };
  p.emit = function (this: Holder, ev: string) {
    var l = this._ev && this._ev[ev],
      a = Array.prototype.slice.call(arguments, 1),
      i: number;
    if (!l || !l.length) return false;
    for (i = 0; i < l.length; i++) l[i].apply(this, a);
    return true;
  };
}
