import { spawn } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { PowerShell } from 'node-powershell';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenize } from '../../src/lab/host/tokenize.js';
import { labPackage, LAB_PACKAGE_VERSIONS } from '../../src/lab/package.js';
import {
  BACKEND01,
  BE01,
  LAB_HOST_EXECUTABLE,
  LYNCBE01,
  createLabServer,
  type LabServerSpec,
} from '../../src/lab/servers.js';
import type { LabFaultRule } from '../../src/lab/state.js';
import { silentLogger } from '../../src/log.js';
import { psQuote } from '../../src/procedure/index.js';
import { newNonce, sessionInitCommands, takeMarker, wrapCommand } from '../../src/runner/envelope.js';
import { PATCHBOT_MODULE_PATH, SESSION_OPTIONS } from '../../src/runner/shell-config.js';
import { ShellSession } from '../../src/runner/shell.js';
import { compiledLabHost } from '../runner/compiled-host.js';
import { removeTempDirs, tempDir, waitFor } from '../runner/support.js';

afterAll(removeTempDirs);

/** A raw session on a lab server, sending exactly what the runner would (or not). */
async function labSession(
  spec: LabServerSpec,
  opts: {
    faults?: LabFaultRule[];
    newline?: 'lf' | 'crlf';
    timeScale?: number;
    durationsMs?: Record<string, number>;
    init?: string[];
    /** Start src/lab/bin/lab-powershell itself rather than the test-compiled copy (slower). */
    realScript?: boolean;
  } = {},
) {
  const { realScript, init, ...labOptions } = opts;
  const lab = createLabServer(spec, {
    dir: join(await tempDir(), 'lab'),
    timeScale: opts.timeScale ?? 0,
    ...labOptions,
  });
  const session = ShellSession.open(
    {
      executable: realScript ? lab.shell.executable : await compiledLabHost(),
      executableOptions: { ...SESSION_OPTIONS, ...lab.shell.executableOptions },
    },
    silentLogger(),
  );
  const run = async (command: string) => {
    const nonce = newNonce();
    const outcome = await session.invoke(wrapCommand(command, nonce), 20_000);
    if (outcome.kind !== 'completed') throw new Error(`invoke ${outcome.kind}`);
    return { ...takeMarker(outcome.stdout, nonce), stderr: outcome.stderr.trim() };
  };
  for (const line of init ?? sessionInitCommands(PATCHBOT_MODULE_PATH)) await run(line);
  return { lab, session, run };
}

describe.concurrent('lab host (simulator) protocol', () => {
  it('refuses to start a session without -NonInteractive', async () => {
    const dir = await tempDir();
    const lab = createLabServer(BACKEND01, { dir, timeScale: 0 });
    const child = spawn(LAB_HOST_EXECUTABLE, [
      '-NoLogo',
      '-LabState',
      lab.stateFile,
      '-NoExit',
      '-Command',
      '-',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(64);
    expect(stderr).toContain('sessions must be started with -NonInteractive');
  });

  it("answers the stock node-powershell framing (WriteLine) as well as the runner's bare-LF one", async () => {
    const lab = createLabServer(BACKEND01, { dir: join(await tempDir(), 'lab'), timeScale: 0 });
    const stock = new PowerShell({
      executable: LAB_HOST_EXECUTABLE,
      executableOptions: { '-NonInteractive': true, ...lab.shell.executableOptions },
      throwOnInvocationError: false,
    });
    const nonce = newNonce();
    const result = await stock.invoke(wrapCommand(sessionInitCommands(PATCHBOT_MODULE_PATH)[0]!, nonce));
    expect(takeMarker(result.raw, nonce).marker).toEqual({ ok: true, exit: null });
    await stock.dispose();
  });

  it('fails loudly on anything outside the envelope, and on unknown commands inside it', async () => {
    const { lab, session, run } = await labSession(BACKEND01, { realScript: true });
    const bare = await session.invoke('Stop-Computer -Force', 10_000);
    expect(bare.kind === 'completed' && bare.stderr).toContain(
      'simulator: unknown command: Stop-Computer -Force',
    );
    expect(bare.kind === 'completed' && bare.stdout).toBe('');
    for (const command of [
      'Stop-Computer -Force',
      'Stop-CsWindowsService; Stop-Computer',
      'Write-Output "$(whoami)"',
    ]) {
      const result = await run(command);
      expect(result.marker).toEqual({ ok: false, exit: null });
      expect(result.stderr).toContain('simulator: unknown command');
    }
    const unknown = lab.commandLog().filter((r) => r.kind === 'unknown');
    expect(unknown.map((r) => r.command)).toEqual([
      'Stop-Computer -Force',
      'Stop-Computer -Force',
      'Stop-CsWindowsService; Stop-Computer',
      'Write-Output "$(whoami)"',
    ]);
    expect(lab.readState().services.RTCSRV).toBe('Running');
    await session.close();
  });

  it('needs Import-Module before Cs cmdlets and the PatchBot module before its functions', async () => {
    const { run, session } = await labSession(BE01, { init: [] });
    expect((await run('Stop-CsWindowsService')).stderr).toMatch(/'Stop-CsWindowsService' is not recognized/);
    expect((await run('Assert-PatchBotNoPendingReboot')).stderr).toMatch(
      /'Assert-PatchBotNoPendingReboot' is not recognized/,
    );
    expect((await run('Import-Module Lync')).stderr).toMatch(/module 'Lync' was not loaded/);
    await session.close();
  });

  it("acts like PowerShell without the runner's set-up: errors do not stop, non-ASCII is mangled", async () => {
    const faults: LabFaultRule[] = [
      {
        command: 'Assert-PatchBotCsAdministrator',
        fault: { kind: 'error', message: 'Zugriff verweigert für 管理员' },
      },
    ];
    const module = sessionInitCommands(PATCHBOT_MODULE_PATH)[2]!;
    const bare = await labSession(BACKEND01, { faults, init: [module] });
    const withoutSetup = await bare.run('Assert-PatchBotCsAdministrator');
    // A non-terminating cmdlet error slips past try/catch unless $ErrorActionPreference is 'Stop'.
    expect(withoutSetup.marker?.ok).toBe(true);
    expect(withoutSetup.stderr).toBe('Zugriff verweigert f?r ???');
    await bare.session.close();

    const full = await labSession(BACKEND01, { faults });
    const withSetup = await full.run('Assert-PatchBotCsAdministrator');
    expect(withSetup.marker?.ok).toBe(false);
    expect(withSetup.stderr).toBe('Zugriff verweigert für 管理员');
    await full.session.close();
  });

  it('finishes every call when it ends lines with CRLF like Windows (bare-LF framing)', async () => {
    const { run, session } = await labSession(BACKEND01, { newline: 'crlf' });
    for (let i = 0; i < 150; i++) {
      const result = await run('Assert-PatchBotNoPendingReboot');
      expect(result.marker).toEqual({ ok: true, exit: null });
      expect(result.output).toBe('No restart pending.');
    }
    await session.close();
  });

  it('advances its own clock by the simulated duration and sleeps the scaled time', async () => {
    const { lab, run, session } = await labSession(BE01, { timeScale: 0.1 });
    const before = lab.readState().clockSimMs;
    const started = Date.now();
    await run('Import-Module SkypeForBusiness');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    const record = lab.commandLog().at(-1)!;
    expect(record.simStartMs).toBe(before);
    expect(record.simEndMs).toBe(before + 12_000);
    await session.close();
  });

  it('counts a process start only as far as a command had to wait for it', async () => {
    // 2 s of wall time for the first command: the second process starts meanwhile.
    const { lab, run, session } = await labSession(BE01, {
      timeScale: 0.01,
      durationsMs: { 'Assert-PatchBotNoPendingReboot': 200_000 },
    });
    const open = async () =>
      ShellSession.open(
        {
          executable: await compiledLabHost(),
          executableOptions: { ...SESSION_OPTIONS, ...lab.shell.executableOptions },
        },
        silentLogger(),
      );
    const firstCommand = async (shell: ShellSession) => {
      const outcome = await shell.invoke(
        wrapCommand(sessionInitCommands(PATCHBOT_MODULE_PATH)[0]!, newNonce()),
        20_000,
      );
      expect(outcome.kind).toBe('completed');
      return lab.commandLog().at(-1)!;
    };
    const long = run('Assert-PatchBotNoPendingReboot');
    const early = await open();
    const unused = await open();
    await long;
    const longRecord = lab.commandLog().at(-1)!;
    // Started while the long command ran: its first command waits for nothing.
    expect((await firstCommand(early)).simStartMs).toBe(longRecord.simEndMs);
    // Started when needed: its first command waits the whole simulated start-up (1.5 s).
    const late = await open();
    const clock = lab.readState().clockSimMs;
    expect((await firstCommand(late)).simStartMs).toBe(clock + 1500);
    // Each start is listed with its process's first command; one that never ran anything is not.
    await unused.kill();
    const sessions = lab.readState().sessions.map((s) => s.pid);
    expect(sessions).toEqual([session.pid, early.pid, late.pid]);
    await Promise.all([session.close(), early.close(), late.close()]);
  });

  it('exits the process on a crash fault with the injected code', async () => {
    const { session, lab } = await labSession(BACKEND01, {
      faults: [{ command: 'Assert-PatchBotNoPendingReboot', fault: { kind: 'crash', exitCode: 3 } }],
    });
    const outcome = await session.invoke(wrapCommand('Assert-PatchBotNoPendingReboot', newNonce()), 10_000);
    expect(outcome.kind === 'exited' && outcome.exit.code).toBe(3);
    expect(lab.commandLog().at(-1)?.result).toBe('crash');
  });

  it('stops the running command on Ctrl-C (SIGINT) like PowerShell: no marker, the session lives on', async () => {
    // Real pwsh does this (test/runner/real-pwsh/envelope.test.ts); the host used to ignore SIGINT.
    const { session, lab, run } = await labSession(BE01, {
      timeScale: 0.001,
      durationsMs: { 'session.start': 0, 'Stop-CsWindowsService': 600_000_000 },
    });
    await run('Import-Module SkypeForBusiness');
    const stopping = run('Stop-CsWindowsService');
    await waitFor(() =>
      lab.commandLog().some((r) => r.key === 'Stop-CsWindowsService' && r.result === 'running'),
    );
    process.kill(session.pid!, 'SIGINT');
    expect(await stopping).toEqual({ marker: null, output: '', stderr: '' });
    expect(lab.commandLog().find((r) => r.key === 'Stop-CsWindowsService')?.result).toBe('interrupted');
    expect(Object.values(lab.readState().services).every((s) => s === 'Running')).toBe(true);
    expect((await run('Get-CsWindowsService')).marker).toEqual({ ok: true, exit: null });
    expect(session.hasExited).toBe(false);
    await session.close();
  });
});

describe.concurrent('Install-CsDatabase parameter sets', () => {
  const SETS = {
    standard: 'Install-CsDatabase -Update -LocalDatabases',
    enterprise: (sql: string) =>
      `Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn ${psQuote(sql)}`,
    collocated: (sql: string) =>
      `Install-CsDatabase -Update -ConfiguredDatabases -SqlServerFqdn ${psQuote(sql)} -ExcludeCollocatedStores`,
  };

  it.each([
    ['backend01 (Standard)', BACKEND01, ['standard']],
    ['be01 (Enterprise)', BE01, ['enterprise', 'collocated']],
    ['lyncbe01 (Enterprise, collocated)', LYNCBE01, ['collocated']],
  ] as const)('%s accepts only the sets that fit its real role', async (_name, spec, accepted) => {
    const { run, session } = await labSession(spec);
    await run(`Import-Module ${spec.profile.product === 'lync2013' ? 'Lync' : 'SkypeForBusiness'}`);
    const sql = spec.sqlServerFqdn ?? 'sql01.contoso.local';
    const outcomes: Record<string, boolean> = {};
    for (const [name, command] of [
      ['standard', SETS.standard],
      ['enterprise', SETS.enterprise(sql)],
      ['collocated', SETS.collocated(sql)],
    ] as const) {
      outcomes[name] = (await run(command)).marker?.ok ?? false;
    }
    expect(Object.keys(outcomes).filter((k) => outcomes[k])).toEqual(accepted);
    expect((await run(SETS.enterprise('other.contoso.local'))).marker?.ok).toBe(false);
    expect((await run('Install-CsDatabase -Update')).marker?.ok).toBe(false);
    await session.close();
  });
});

describe('lab command reader', () => {
  it('reads any psQuote-d value back unchanged, as one token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const tokens = tokenize(`Save-PatchBotPackage -Source ${psQuote(value)}`);
        expect(tokens?.map((t) => t.text)).toEqual(['Save-PatchBotPackage', '-Source', value]);
      }),
      { numRuns: 500 },
    );
  });
});

describe.concurrent('lab host (simulator): the night of a real server (docs/steps.md)', () => {
  const installer = (spec: LabServerSpec) =>
    `C:\\PatchBot\\staging\\${spec.profile.package.version}\\${spec.profile.package.fileName}`;

  /** Stages the lab server's package as the plan does, in one session. */
  async function staged(
    spec: LabServerSpec,
    conditions: Parameters<typeof createLabServer>[1]['conditions'] = {},
  ) {
    const s = await labSession(spec);
    s.lab.update((state) => void Object.assign(state.conditions, conditions));
    const pkg = spec.profile.package;
    const file = `C:\\PatchBot\\staging\\${pkg.fileName}`;
    await s.run(`Save-PatchBotPackage -Source ${psQuote(pkg.source)} -Destination ${psQuote(file)}`);
    await s.run(
      `Expand-PatchBotPackage -Path ${psQuote(file)} -Destination ${psQuote(`C:\\PatchBot\\staging\\${pkg.version}`)} -Installer ${psQuote(pkg.fileName)}`,
    );
    return s;
  }

  it('the installer brings every component but the lagging one to the package version and writes its log', async () => {
    const component = 'Microsoft Lync Server 2013, Front End Server';
    const { lab, session, run } = await staged(LYNCBE01, { laggingComponent: component });
    const result = await run(
      `Install-PatchBotUpdate -Installer ${psQuote(installer(LYNCBE01))} -Module Lync`,
    );
    await session.close();
    expect(result.marker).toEqual({ ok: true, exit: 0 });
    const state = lab.readState();
    expect(state.componentVersions[component]).toBe(LYNCBE01.installedVersion);
    expect(
      Object.values(state.componentVersions).filter((v) => v === LYNCBE01.profile.package.version),
    ).toHaveLength(state.components.length - 1);
    // installedVersion is the lowest component: the server as a whole is not patched.
    expect(state.installedVersion).toBe(LYNCBE01.installedVersion);
    const logs = Object.keys(state.files).filter((f) =>
      /lyncserverupdateinstaller-\d{8}-\d{6}\.log$/.test(f),
    );
    expect(logs).toHaveLength(1);
    expect(state.files[logs[0]!]).toContain('Exit code: 0');
    expect(result.output).toContain('Exit code: 0');
  });

  it.each([
    [3010, true, true, 'a restart is required'],
    [1641, true, true, 'has started a restart'],
    [1618, false, false, 'another installation is already in progress'],
    [1603, false, false, 'exited with code 1603'],
  ])('installer exit code %i: installed %s, restart pending %s', async (code, installed, pending, text) => {
    const { lab, session, run } = await staged(BACKEND01, { installerExitCode: code });
    const result = await run(
      `Install-PatchBotUpdate -Installer ${psQuote(installer(BACKEND01))} -Module SkypeForBusiness`,
    );
    await session.close();
    expect(result.marker?.exit).toBe(code);
    expect(result.marker?.ok).toBe(installed);
    expect(`${result.output}\n${result.stderr}`).toContain(text);
    const state = lab.readState();
    expect(state.installedVersion).toBe(
      installed ? BACKEND01.profile.package.version : BACKEND01.installedVersion,
    );
    expect(state.conditions.pendingReboot).toBe(pending);
  });

  it('exit code 0 with the restart flags set afterwards still says a restart is required', async () => {
    const { lab, session, run } = await staged(BACKEND01, { installerLeavesRestartPending: true });
    const result = await run(
      `Install-PatchBotUpdate -Installer ${psQuote(installer(BACKEND01))} -Module SkypeForBusiness`,
    );
    await session.close();
    expect(result.marker).toEqual({ ok: true, exit: 0 });
    expect(result.output).toContain('a restart is required');
    expect(lab.readState().conditions.pendingReboot).toBe(true);
  });

  it('an open Topology Builder or another management shell stops the installer before it starts', async () => {
    for (const conditions of [{ deploymentToolsRunning: true }, { foreignModuleHolders: [4711] }]) {
      const { lab, session, run } = await staged(BACKEND01, conditions);
      const result = await run(
        `Install-PatchBotUpdate -Installer ${psQuote(installer(BACKEND01))} -Module SkypeForBusiness`,
      );
      await session.close();
      expect(result.marker).toEqual({ ok: false, exit: null });
      expect(result.stderr).toContain('the installer was not started');
      const state = lab.readState();
      expect(state.installedVersion).toBe(BACKEND01.installedVersion);
      expect(Object.keys(state.files).some((f) => f.endsWith('.log'))).toBe(false);
    }
  });

  it('a simulated restart: no restart pending, Windows started every service, no module holder', async () => {
    const { lab, session, run } = await labSession(BE01);
    await run('Import-Module SkypeForBusiness');
    await run('Stop-PatchBotCsServices');
    await run('Stop-PatchBotIis');
    lab.update((s) => void (s.conditions.pendingReboot = true));
    const before = lab.readState();
    expect(before.moduleHolders).toHaveLength(1);
    expect(before.downtime.at(-1)?.runningAtSimMs).toBeNull();
    const after = lab.restart();
    expect(after.conditions.pendingReboot).toBe(false);
    expect(after.w3svc).toBe('Running');
    expect(Object.values(after.services).every((s) => s === 'Running')).toBe(true);
    expect(after.moduleHolders).toEqual([]);
    expect(after.sessions).toEqual([]);
    // The downtime window closed when Windows came back with its services.
    expect(after.downtime.at(-1)?.runningAtSimMs).toBe(
      before.clockSimMs + after.durationsMs['windows.restart']!,
    );
    expect(after.log).toEqual(before.log);
    // Idempotent starts after the restart: nothing fails on a running service.
    const iis = await run('Start-PatchBotIis');
    await session.close();
    expect(iis).toMatchObject({ marker: { ok: true, exit: 0 }, output: 'W3SVC (IIS) is already running.' });
  });

  it('a machine without Cs services lists none, and the pre-check refuses it', async () => {
    const { lab, session, run } = await labSession(BACKEND01);
    lab.update((s) => void (s.conditions.csServicesInstalled = false));
    await run('Import-Module SkypeForBusiness');
    const list = await run('Get-CsWindowsService');
    const present = await run('Assert-PatchBotCsServicesPresent');
    const facts = await run(
      "Get-PatchBotServerFacts -Product SkypeForBusiness -StagingPath 'C:\\PatchBot\\staging'",
    );
    await session.close();
    expect(list.output).not.toContain('RTCSRV');
    expect(present.marker?.ok).toBe(false);
    expect(present.stderr).toContain('runs no Lync or Skype for Business services');
    expect(JSON.parse(facts.output)).toMatchObject({
      csServiceCount: 0,
      edition: 'standard',
      mirrored: false,
    });
  });

  it('the simulated update server serves every lab version of the product, each with its published hash', async () => {
    const { session, run } = await labSession(BE01);
    for (const version of LAB_PACKAGE_VERSIONS.sfb2019) {
      const pkg = labPackage('sfb2019', version);
      const file = `C:\\PatchBot\\staging\\${version}-${pkg.fileName}`;
      const saved = await run(
        `Save-PatchBotPackage -Source ${psQuote(pkg.source)} -Destination ${psQuote(file)}`,
      );
      const hash = await run(`Assert-PatchBotFileHash -Path ${psQuote(file)} -Sha256 ${psQuote(pkg.sha256)}`);
      expect(pkg.source).toBe(
        `https://updates.contoso.local/sfb2019/${version}/SkypeServerUpdateInstaller.exe`,
      );
      expect([saved.marker?.ok, hash.marker?.ok]).toEqual([true, true]);
    }
    await session.close();
  });
});
