/**
 * I/O on one /proc/net/iet/ddmap/<target>.<lun> entry. Commands are written
 * with `echo -n` semantics (the bare word, one write call) through a
 * descriptor opened O_WRONLY|O_APPEND without O_CREAT: the proc handler
 * ignores the file position, a vanished entry fails instead of being created,
 * and a fixture emulating the entry with a regular file keeps the map intact
 * and collects the commands after it, in order.
 */
import { constants, promises as fsp } from 'node:fs'; // node:fs/promises loaded by a capture, not by monitors
import type { FileHandle } from 'node:fs/promises';

export type MapCommand = 'mapsuspend' | 'mapresume' | 'mapzap' | 'mapdump';
export const MAP_COMMANDS: readonly MapCommand[] = ['mapsuspend', 'mapresume', 'mapzap', 'mapdump'];

export interface ProcEntryHandle {
  /** Read up to `length` bytes from offset 0 into buf, across short reads; returns the count (less on EOF). */
  read(buf: Uint8Array, length: number): Promise<number>;
  command(cmd: MapCommand): Promise<void>;
  close(): Promise<void>;
}

export interface ProcEntryIo {
  open(path: string): Promise<ProcEntryHandle>;
}

export const fsProcEntryIo: ProcEntryIo = {
  async open(path) {
    const r = await fsp.open(path, constants.O_RDONLY);
    let w: FileHandle;
    try {
      w = await fsp.open(path, constants.O_WRONLY | constants.O_APPEND);
    } catch (e) {
      await r.close();
      throw e;
    }
    return {
      async read(buf, length) {
        let got = 0;
        while (got < length) {
          const { bytesRead } = await r.read(buf, got, length - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got;
      },
      async command(cmd) {
        const b = Buffer.from(cmd, 'latin1');
        const { bytesWritten } = await w.write(b, 0, b.length, null);
        if (bytesWritten !== b.length) throw new Error(`${cmd}: short write (${bytesWritten} of ${b.length} bytes)`);
      },
      async close() {
        await Promise.allSettled([r.close(), w.close()]);
      },
    };
  },
};
