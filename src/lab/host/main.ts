import { createInterface } from 'node:readline';
import { LabHost } from './host.js';

/**
 * SIMULATOR entry point, started by src/lab/bin/lab-powershell in place of powershell.exe.
 * Accepts the command line node-powershell builds (-NoLogo ... -NoExit -Command -) plus
 * -LabState <file> (the simulated server) and -LabNewline crlf (end lines like Windows).
 */

const FLAGS = new Set(['-NoLogo', '-NoProfile', '-NonInteractive', '-NoExit']);
const WITH_VALUE = new Set(['-LabState', '-LabNewline', '-Command']);

function parseArgs(argv: string[]): { stateFile: string; newline: string } | string {
  const seen = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (FLAGS.has(arg)) seen.set(arg, true);
    else if (WITH_VALUE.has(arg) && i + 1 < argv.length) seen.set(arg, argv[++i] ?? '');
    else return `simulator: unsupported argument "${arg}"`;
  }
  const stateFile = seen.get('-LabState');
  if (typeof stateFile !== 'string') return 'simulator: -LabState <file> is required';
  if (seen.get('-Command') !== '-' || !seen.has('-NoExit'))
    return 'simulator: expected -NoExit -Command - (node-powershell)';
  // The runner must start every session non-interactive; the lab insists so a regression shows.
  if (!seen.has('-NonInteractive')) return 'simulator: sessions must be started with -NonInteractive';
  const newline = seen.get('-LabNewline');
  if (newline !== undefined && newline !== 'crlf' && newline !== 'lf')
    return 'simulator: -LabNewline must be lf or crlf';
  return { stateFile, newline: newline === 'crlf' ? '\r\n' : '\n' };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n`);
    process.exit(64);
  }
  const host = new LabHost(args.stateFile, args.newline, {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    exit: (code) => process.exit(code),
  });
  // Ctrl-C in a terminal reaches the whole process group, this stand-in included. Like real
  // PowerShell, it stops the command running now (no marker: the runner counts the step as not
  // done) and keeps the session; it does not end the process.
  process.on('SIGINT', () => host.interrupt());
  await host.start(process.argv.slice(2));
  // Lines are handled strictly one after another, as PowerShell reading `-Command -` does.
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    await host.handleLine(line);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator: internal error: ${String(error)}\n`);
  process.exit(70);
});
