import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, StoreLockedError } from '../../src/store/lock.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { StoreWriteError } from '../../src/store/store.js';
import { blockHotFileWrites, hotFile, makeRun, tempDataDir, withOtherProcess } from './support.js';

const clock = () => new Date('2026-11-23T02:00:00Z');

describe('LowdbStore lock', () => {
  it('refuses a second process while one holds the store, naming the holder', async () => {
    const dir = await tempDataDir();
    await withOtherProcess(async (pid) => {
      await writeFile(path.join(dir, LOCK_FILE_NAME), `${pid}\n`);
      const opening = LowdbStore.open(dir, clock);
      await expect(opening).rejects.toBeInstanceOf(StoreLockedError);
      await expect(opening).rejects.toThrow(`in use by process ${pid}`);
    });
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = await tempDataDir();
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.on('exit', resolve));
    await writeFile(path.join(dir, LOCK_FILE_NAME), `${child.pid}\n`);

    const store = await LowdbStore.open(dir, clock);
    expect((await readFile(path.join(dir, LOCK_FILE_NAME), 'utf8')).trim()).toBe(String(process.pid));
    await store.close();
  });

  it('lets a read-only store look while the store is held, and refuses its writes', async () => {
    const dir = await tempDataDir();
    const owner = await LowdbStore.open(dir, clock);
    await owner.saveRun(makeRun(1));
    await withOtherProcess(async (pid) => {
      await writeFile(path.join(dir, LOCK_FILE_NAME), `${pid}\n`);
      const reader = await LowdbStore.open(dir, clock, { readOnly: true });
      expect(reader.getRun(1)?.id).toBe(1);
      await expect(reader.nextRunId()).rejects.toThrow(/read-only/);
      await reader.close();
    });
  });

  it('stays usable after close, which writes and reports a file it cannot write', async () => {
    const dir = await tempDataDir();
    const store = await LowdbStore.open(dir, clock);
    await store.close();
    await store.saveRun(makeRun(1));
    const unblock = await blockHotFileWrites(dir);
    await expect(store.close()).rejects.toBeInstanceOf(StoreWriteError);
    await unblock();
    await store.close();
    expect(Object.keys((await hotFile(dir)).runs)).toEqual(['1']);
  });
});
