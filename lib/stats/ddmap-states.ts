/**
 * The ddmap agent's per-LUN states, from <state_dir>/<vg>/ddmap/<lv>.state
 * (the layout of lib/ddmap/store.ts). Only VGs whose metadata filesystem is
 * mounted here have states to show: the other node's are not visible.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseState, type DdmapState } from '../ddmap/state.js';

export interface DdmapLunState {
  vg: string;
  lv: string;
  /** null: the .state file holds something unreadable. */
  state: DdmapState | null;
}

export function readDdmapStates(stateDir: string): DdmapLunState[] {
  const out: DdmapLunState[] = [];
  let vgs: string[];
  try {
    vgs = readdirSync(stateDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return out;
  }
  for (const vg of vgs) {
    let files: string[];
    try {
      files = readdirSync(join(stateDir, vg, 'ddmap')).filter((f) => f.endsWith('.state')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      let text = '';
      try {
        text = readFileSync(join(stateDir, vg, 'ddmap', f), 'utf8');
      } catch {
        /* vanished between readdir and read */
      }
      out.push({ vg, lv: f.slice(0, -'.state'.length), state: parseState(text) });
    }
  }
  return out;
}
