import { writeSync } from 'node:fs';

/**
 * Write all of text to a file descriptor synchronously. Agents write their
 * output and log lines this way rather than through process.stdout/stderr,
 * whose first use loads node:stream (~6 ms per fork). A full non-blocking pipe
 * (EAGAIN) is retried a bounded number of times.
 */
export function writeFd(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  for (let spins = 0; off < buf.length && spins < 10_000; ) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      spins++;
    }
  }
}

/**
 * All of text to stdout, without process.stdout when it can: that stream's first use costs about
 * a sixth of `node -e 0`, on commands forked at every scrape (`lioha stats`, munin plugins). A
 * full non-blocking pipe (EAGAIN) hands the rest to process.stdout, which waits for the reader
 * instead of giving up.
 */
export function writeStdout(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      process.stdout.write(buf.subarray(off));
      return;
    }
  }
}
