/**
 * The configfs I/O seam. Every path is relative to the target root
 * (/sys/kernel/config/target under the agent's root). Two backends implement it:
 * node-backend.ts (the real kernel tree) and emulator.ts (a plain directory tree
 * with the kernel's side effects), chosen by open.ts.
 */
import { appendFileSync } from 'node:fs';

import { resolve } from 'node:path';
import { Failure } from '../failure.js';

/** Where LIO's configfs lives, under the agent's root (lib/configfs/layout.ts). */
export { TARGET_ROOT } from './layout.js';
/** Present only in an emulated tree: on a real configfs only the kernel creates files. */
export const EMULATOR_MARKER = '.lioha-emulated';

export type ConfigFsOp = 'mkdir' | 'rmdir' | 'symlink' | 'unlink' | 'write' | 'read' | 'readdir' | 'readlink' | 'exists';
export const MUTATING_OPS: ReadonlySet<ConfigFsOp> = new Set(['mkdir', 'rmdir', 'symlink', 'unlink', 'write']);

export interface ConfigFs {
  /** Absolute host path of the target root. */
  readonly base: string;
  readonly emulated: boolean;
  /**
   * Every call has finished its work when it returns (sync system calls): nothing
   * for a per-call timer to bound. A stuck call then blocks the process, which is
   * bounded by the action's own timeout (see node-backend.ts).
   */
  readonly synchronous?: boolean;
  mkdir(rel: string): Promise<void>;
  rmdir(rel: string): Promise<void>;
  /** Create a link at `linkRel` to the object at `targetRel` (both relative to the target root). */
  symlink(targetRel: string, linkRel: string): Promise<void>;
  unlink(rel: string): Promise<void>;
  /** Attribute value with the kernel's trailing newline removed. */
  read(rel: string): Promise<string>;
  /** Writes wireValue(rel, value) in one write(2). */
  write(rel: string, value: string): Promise<void>;
  readdir(rel: string): Promise<string[]>;
  /** Link target, relative to the target root (kernel's ../../target/ prefix removed). */
  readlink(rel: string): Promise<string>;
  exists(rel: string): Promise<boolean>;
}

/**
 * The bytes to write for an attribute value. The kernel parses most attributes
 * and ignores the trailing newline, so they get `value\n` (and never rtslib's
 * "value \n", which broke InitialR2T). CHAP credentials are different: the
 * kernel stores them exactly as written, so a newline would become part of the
 * user name or secret and every login would fail (found on a real 6.1 kernel;
 * rtslib writes them bare too). An ACL's tag is kept as written as well
 * (core_tpg_set_initiator_node_tag), and shown without a newline: written with one,
 * the tag differed from targetctl's (found by the lab's corpus run, 48-corpus).
 */
const RAW_FILE = /(auth\/(userid|password|userid_mutual|password_mutual)|\/acls\/[^/]+\/tag)$/;
export function wireValue(rel: string, value: string): string {
  return RAW_FILE.test(rel) ? value : `${value}\n`;
}

/** Errors carry the op, the path and an errno-like code; never the written value (may be a secret). */
export class ConfigFsError extends Failure {
  constructor(public readonly op: ConfigFsOp, public readonly path: string, public readonly code: string, detail?: string) {
    super(code === 'ETIMEDOUT' ? 'hung' : 'generic', `configfs ${op} ${path}: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'ConfigFsError';
  }
}
/** An operation that did not return in time: the kernel interface is presumed hung. */
export class ConfigFsHangError extends ConfigFsError {
  /** `calls`: operations in the one call that hung (a batch from child-apply.ts), `path` the first of them. */
  constructor(op: ConfigFsOp, path: string, public readonly timeoutMs: number, public readonly calls = 1) {
    super(op, path, 'ETIMEDOUT', `no answer within ${timeoutMs} ms${calls > 1 ? `; one call of ${calls} ${op} operations from this one` : ''}`);
    this.name = 'ConfigFsHangError';
  }
}

/** A relative path whose components are all non-empty and neither '.' nor '..'. */
const PLAIN_REL = /^(?!\.\.?(?:\/|$))[^/\0]+(?:\/(?!\.\.?(?:\/|$))[^/\0]+)*$/;

/**
 * The host path of `rel` under `base`, refusing any path that resolves outside it ('..'
 * components, absolute paths): a name that slipped past validation still cannot leave configfs.
 */
export function underBase(base: string, op: ConfigFsOp, rel: string): string {
  if (rel === '') return base;
  // A plain relative path (no '.' or '..' component, no empty one) is under base as it stands.
  // This runs for every configfs operation: path.resolve's character loop got hot enough for
  // V8 to optimize it, which cost a monitor ~8% of Node's start-up.
  if (PLAIN_REL.test(rel)) return base.endsWith('/') ? base + rel : `${base}/${rel}`;
  const abs = resolve(base, rel);
  if (abs !== base && !abs.startsWith(base.endsWith('/') ? base : `${base}/`)) {
    throw new ConfigFsError(op, rel, 'EACCES', 'resolves outside the configfs root');
  }
  return abs;
}

/** Paths whose values are secrets: never shown in logs or reasons. */
export function isSecretPath(rel: string): boolean {
  return /(^|\/)password(_mutual)?$/.test(rel);
}

/** Converts a kernel link text (../../../target/core/iblock_0/lun0) to a target-root relative path. */
export function linkTextToRel(text: string): string {
  const parts = text.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  if (parts[0] === 'target') parts.shift();
  return parts.join('/');
}
/** The link text the kernel shows for a link at `linkRel` to `targetRel`. */
export function relToLinkText(linkRel: string, targetRel: string): string {
  const depth = linkRel.split('/').length - 1; // directories between the target root and the link
  return '../'.repeat(depth + 1) + 'target/' + targetRel;
}

export type OpCounts = Record<ConfigFsOp, number>;
export function zeroCounts(): OpCounts {
  return { mkdir: 0, rmdir: 0, symlink: 0, unlink: 0, write: 0, read: 0, readdir: 0, readlink: 0, exists: 0 };
}
export function mutatingTotal(c: OpCounts): number {
  return c.mkdir + c.rmdir + c.symlink + c.unlink + c.write;
}
export function totalOps(c: OpCounts): number {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/**
 * Decorator: counts operations and, for a backend whose calls can wait (an
 * emulated tree with an injected hang), bounds each one by a hard timeout. A
 * synchronous backend's calls are done when they return: no timer per call.
 */
export class GuardedConfigFs implements ConfigFs {
  readonly counts: OpCounts = zeroCounts();
  /**
   * `trace`: a file that gets one line `<op> <path>` per successful mutating operation, never a
   * value (LIOHA_CONFIGFS_TRACE; the lab records a real start's trace to compare with the emulator's).
   */
  constructor(private readonly inner: ConfigFs, private readonly timeoutMs: () => number, private readonly trace?: string) {}
  get base(): string { return this.inner.base; }
  get emulated(): boolean { return this.inner.emulated; }

  private guard<T>(op: ConfigFsOp, path: string, p: Promise<T>): Promise<T> {
    this.counts[op]++;
    let done = p;
    if (!this.inner.synchronous) {
      const ms = Math.max(1, this.timeoutMs());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ConfigFsHangError(op, path, ms)), ms);
      });
      done = Promise.race([p, timeout]).finally(() => clearTimeout(timer));
    }
    if (!this.trace || !MUTATING_OPS.has(op)) return done;
    const trace = this.trace;
    return done.then((v) => {
      appendFileSync(trace, `${op} ${path}\n`);
      return v;
    });
  }
  /** Operations done on this tree by someone else on our behalf (a child process). */
  countExternal(op: ConfigFsOp): void { this.counts[op]++; }
  mkdir(rel: string) { return this.guard('mkdir', rel, this.inner.mkdir(rel)); }
  rmdir(rel: string) { return this.guard('rmdir', rel, this.inner.rmdir(rel)); }
  symlink(t: string, l: string) { return this.guard('symlink', l, this.inner.symlink(t, l)); }
  unlink(rel: string) { return this.guard('unlink', rel, this.inner.unlink(rel)); }
  read(rel: string) { return this.guard('read', rel, this.inner.read(rel)); }
  write(rel: string, v: string) { return this.guard('write', rel, this.inner.write(rel, v)); }
  readdir(rel: string) { return this.guard('readdir', rel, this.inner.readdir(rel)); }
  readlink(rel: string) { return this.guard('readlink', rel, this.inner.readlink(rel)); }
  exists(rel: string) { return this.guard('exists', rel, this.inner.exists(rel)); }
}
