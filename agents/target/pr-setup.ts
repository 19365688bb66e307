/**
 * Makes SCSI-3 persistent reservations work on a node the agent runs, and survive a move.
 *
 *  - dbroot: set to `dbroot` (rtslib's /etc/rtslib-fb-target by default) while no device is
 *    configured on the node; once devices exist the kernel refuses a change, and the current
 *    dbroot is used as it is. Either way its pr/ directory exists, or LIO fails every
 *    PERSISTENT RESERVE OUT with NOT READY.
 *  - pr_dir (optional): a directory that moves with the resource group (a filesystem on the
 *    DRBD-backed volume group). <dbroot>/pr/aptpl_<serial> of each owned storage object is
 *    made a link into it, so LIO's APTPL writes land on the replicated storage, and the node
 *    that starts the target next restores the registrations and the reservation from there.
 *  - Registrations found in the APTPL file are handed to the plan, which writes them to
 *    pr/res_aptpl_metadata of a storage object it creates, before the object is exported.
 */
import { copyFileSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Failure } from '../../lib/failure.js';
import type { ConfigFs } from '../../lib/configfs/io.js';
import { DBROOT_FILE, DBROOT_PR_DIR } from '../../lib/configfs/layout.js';
import type { DesiredState, LiveState, StorageObjectRef } from '../../lib/configfs/model.js';
import { APTPL_PATH_MAX, aptplFileName, parseAptpl } from '../../lib/configfs/pr.js';

export interface PrSettings { dbroot: string; prDir?: string | undefined }
export interface PrSetup {
  /** The dbroot the kernel uses after setup. */
  dbroot: string;
  /** Registrations to restore, by storage object. */
  registrations: Map<StorageObjectRef, string[]>;
  notes: string[];
}

/** A node-local problem (pr_dir not mounted here...): Pacemaker may try the other node. */
export class PrSetupError extends Failure {
  constructor(reason: string) { super('generic', reason); this.name = 'PrSetupError'; }
}

/*
 * Synchronous calls: a few small local files per start, and the depth-10 monitor calls isDir. An async
 * call would cost fs.promises' load and a thread-pool round trip each, and the agent awaits it anyway.
 */
function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}
function readOr(p: string): string | undefined {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

/** Replaces `link` by a symlink to `to` in one rename (a reader never sees it missing). */
function linkAtomically(link: string, to: string): void {
  const tmp = `${link}.lioha-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(to, tmp);
  renameSync(tmp, link);
}

export async function preparePr(cfs: ConfigFs, s: PrSettings, desired: DesiredState, live: LiveState, rootPath: (abs: string) => string): Promise<PrSetup> {
  const notes: string[] = [];
  let dbroot = (await cfs.read(DBROOT_FILE)).trim();
  if (dbroot !== s.dbroot) {
    const configured = [...live.storageObjects.values()].some((so) => so.enabled);
    if (!configured) {
      mkdirSync(rootPath(s.dbroot), { recursive: true, mode: 0o700 });
      await cfs.write(DBROOT_FILE, s.dbroot);
      dbroot = s.dbroot;
    } else {
      notes.push(`dbroot stays ${dbroot}: devices are configured on this node, and the kernel allows no change then`);
    }
  }
  const prHost = rootPath(join(dbroot, DBROOT_PR_DIR));
  mkdirSync(prHost, { recursive: true, mode: 0o700 });

  const registrations = new Map<StorageObjectRef, string[]>();
  if (s.prDir && !isDir(rootPath(s.prDir))) {
    throw new PrSetupError(`pr_dir ${s.prDir} is not a directory on this node (its filesystem not mounted?)`);
  }
  for (const [ref, so] of desired.storageObjects) {
    if (so.kind === 'pscsi' || !so.wwn) continue;
    const name = aptplFileName(so.wwn);
    if (join(dbroot, DBROOT_PR_DIR, name).length > APTPL_PATH_MAX) throw new PrSetupError(`${ref}: ${join(dbroot, DBROOT_PR_DIR, name)} is longer than LIO's ${APTPL_PATH_MAX} characters`);
    const local = join(prHost, name);
    let file = local;
    if (s.prDir) {
      const shared = join(s.prDir, name);
      file = rootPath(shared);
      const st = lstatSync(local, { throwIfNoEntry: false });
      if (st?.isFile()) {
        // Registrations made before pr_dir was set: keep them unless the shared copy exists.
        if (readOr(file) === undefined) { copyFileSync(local, file); notes.push(`${ref}: moved ${local} to ${shared}`); }
        rmSync(local);
      }
      if (!st?.isSymbolicLink() || readlinkSync(local) !== shared) linkAtomically(local, shared);
    }
    const text = readOr(file);
    const regs = text ? parseAptpl(text) : [];
    if (regs.length) registrations.set(ref, regs);
  }
  return { dbroot, registrations, notes };
}

/** Depth-10 check: without <dbroot>/pr, every PERSISTENT RESERVE OUT fails. */
export async function prDirMissing(cfs: ConfigFs, rootPath: (abs: string) => string): Promise<string | undefined> {
  const dbroot = (await cfs.read(DBROOT_FILE).catch(() => '')).trim();
  if (!dbroot) return undefined;
  return isDir(rootPath(join(dbroot, DBROOT_PR_DIR))) ? undefined : `${join(dbroot, DBROOT_PR_DIR)} is missing: persistent reservations fail (NOT READY)`;
}

