import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The lab host compiled to plain JavaScript, for the runner tests only. Starting the real
 * src/lab/bin/lab-powershell costs ~0.3 s of CPU per PowerShell session (tsx loads itself each
 * time); these tests start ~50 sessions on two shared cores. The same source, transpiled once by
 * TypeScript and cached by content hash, starts in ~0.1 s. The lab tests, the CLI and a few
 * runner tests still go through the real script.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['src/lab/host', 'src/lab/state.ts', 'src/lab/package.ts', 'src/procedure'];

function tsFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (path.endsWith('.ts')) return [full];
  return readdirSync(full)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(full, f));
}

let cached: Promise<string> | null = null;

export function compiledLabHost(): Promise<string> {
  cached ??= build();
  return cached;
}

async function build(): Promise<string> {
  const files = SOURCES.flatMap(tsFiles).sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(ROOT, file)).update(readFileSync(file));
  const dir = join(tmpdir(), `patchbot-lab-host-${hash.digest('hex').slice(0, 16)}`);
  const executable = join(dir, 'lab-powershell');
  if (existsSync(executable)) return executable;

  const ts = (await import('typescript')).default;
  const temp = `${dir}.${process.pid}.tmp`;
  for (const file of files) {
    const out = join(temp, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    const js = ts.transpileModule(readFileSync(file, 'utf-8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    writeFileSync(out, js);
  }
  writeFileSync(join(temp, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(temp, 'lab-powershell'),
    `#!/bin/sh\n# SIMULATOR (compiled for tests): see src/lab/bin/lab-powershell.\nexec node "${join(dir, 'src/lab/host/main.js')}" "$@"\n`,
  );
  chmodSync(join(temp, 'lab-powershell'), 0o755);
  try {
    renameSync(temp, dir);
  } catch {
    // Another test worker finished first; its copy is identical.
    rmSync(temp, { recursive: true, force: true });
  }
  return executable;
}
