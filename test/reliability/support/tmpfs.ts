import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';

/**
 * A tiny tmpfs for storage faults: a real full disk (ENOSPC) or a real read-only file system
 * (EROFS). Needs root (or CAP_SYS_ADMIN); where mounting is not allowed the caller falls back to
 * a simulated failing write and says so in the results.
 */
export function mountTmpfs(dir: string, options: { sizeBytes: number; readOnly?: boolean }): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    const flags = [`size=${options.sizeBytes}`, 'mode=0755', ...(options.readOnly ? ['ro'] : [])].join(',');
    execFileSync('mount', ['-t', 'tmpfs', '-o', flags, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  for (const args of [[dir], ['-l', dir]]) {
    try {
      execFileSync('umount', args, { stdio: 'ignore' });
      return;
    } catch {
      // Busy: try a lazy unmount next.
    }
  }
}

/** Writes `file` until the file system is full; returns how many bytes it took. */
export function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 0x78);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch {
        // ENOSPC: now write what still fits, byte by byte in smaller pieces.
        for (const size of [4096, 512, 1]) {
          try {
            for (;;) written += writeSync(fd, chunk.subarray(0, size));
          } catch {
            // Next smaller piece.
          }
        }
        return written;
      }
    }
  } finally {
    closeSync(fd);
  }
}
