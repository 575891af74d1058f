/**
 * Topic names and filters [MQTT-4.7]: validation and matching. Pure, no
 * allocation on the matching path (it runs for every route of every message).
 *
 * Regular expressions here must run on Espruino's own small engine
 * (src/jswrap_regexp.c): no `?`, `{n}` or `(?:`, and a `^` that fails ends
 * the whole match, alternatives after it included, so `^$|x` would only try
 * `x` at index 0. Empty strings are tested in code instead.
 */
import { isStr } from "../errors";

/**
 * A topic name a client may PUBLISH to: a non-empty string without wildcards
 * [MQTT-3.3.2-2] [MQTT-4.7.3-1] and without U+0000 [MQTT-4.7.3-2].
 */
export function validTopic(t: unknown): boolean {
  return isStr(t) && !!t && !/[+#\0]/.test(t);
}

/**
 * A topic filter a client may SUBSCRIBE to [MQTT-4.7.1]: non-empty, `+` only
 * as a whole level [MQTT-4.7.1-3], `#` only as the whole last level
 * [MQTT-4.7.1-2], no U+0000. One regular expression finds every misplaced
 * wildcard: a wildcard next to a non-`/` character, or anything after `#`.
 */
export function validFilter(f: unknown): boolean {
  return isStr(f) && !!f && !/[^/][+#]|\+[^/]|#.|\0/.test(f);
}

/**
 * Does filter `f` (valid) match topic name `t`? `#` also matches the parent
 * level ("a/#" matches "a") [MQTT-4.7.1-2]; wildcards at the first level do
 * not match topics starting with `$` [MQTT-4.7.2-1].
 */
export function matches(f: string, t: string): boolean {
  var i = 0,
    j = 0,
    c: string;
  if (t[0] == "$" && /^[+#]/.test(f)) return false;
  // (past the end a string index gives undefined)
  for (; (c = f[i]); i++) {
    if (c == "#") return true;
    if (c == "+") while (j < t.length && t[j] != "/") j++;
    else if (t[j] == c) j++;
    else return j == t.length && c == "/" && f[i + 1] == "#" && !f[i + 2];
  }
  return j == t.length;
}
