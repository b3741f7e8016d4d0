import type { CommandIo } from '../../src/admin/cli-support.js';

/** An io that keeps what a command printed. */
export function captureIo(): { io: CommandIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { out: (text) => void (out += text), err: (text) => void (err += text) },
    out: () => out,
    err: () => err,
  };
}

export { withOtherProcess } from '../store/support.js';
