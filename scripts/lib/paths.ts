/** Repository paths, derived from this file's location (never from the cwd). */
import { fileURLToPath } from "node:url";
import * as path from "node:path";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Absolute path of a repo-relative path. */
export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}

/** Repo-relative form of an absolute path, for messages. */
export function rel(p: string): string {
  return path.relative(ROOT, p) || ".";
}
