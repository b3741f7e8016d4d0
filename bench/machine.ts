import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  /** What `nproc` prints: the CPUs this process may use. */
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the machine skews latencies. */
  loadAverage: number;
}

function cpuModelFromProcCpuinfo(): string | undefined {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim();
  } catch {
    return undefined;
  }
}

export function describeMachine(): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpuModelFromProcCpuinfo() ?? os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
