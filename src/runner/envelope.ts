import { randomBytes } from 'node:crypto';
import { psQuote } from '../procedure/index.js';

/**
 * The one-line "envelope" every command is wrapped in before it reaches PowerShell.
 *
 * node-powershell decides success from "was anything written to stderr" and never looks at exit
 * codes; when the shell dies mid-command it even resolves with empty output (false success).
 * So the runner trusts neither: each command must end by printing a marker line that carries a
 * per-invocation nonce, whether the command threw, and $LASTEXITCODE. No marker, no success.
 *
 *   $global:LASTEXITCODE = $null; $PatchBotOk = $true; try { <command> } catch { $PatchBotOk = $false;
 *   [Console]::Error.WriteLine($_.Exception.Message) }; '##patchbot <nonce> ' + ([ordered]@{ ok = $PatchBotOk;
 *   exit = $global:LASTEXITCODE } | ConvertTo-Json -Compress)
 *
 * (one line on the wire). The marker goes through the pipeline, not [Console]::Out, so it is
 * written after any formatted output of the command. It must stay a one-liner: with `-Command -`
 * an open brace at a line end waits for more input and swallows node-powershell's framing.
 */
export const MARKER_PREFIX = '##patchbot';

const NONCE = /^[0-9a-f]{16}$/;

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

export function wrapCommand(command: string, nonce: string): string {
  if (!NONCE.test(nonce)) throw new Error('envelope nonce must be 16 lower-case hex digits');
  if (!isSendable(command)) throw new Error('envelope commands must be one line of printable ASCII');
  return (
    `$global:LASTEXITCODE = $null; $PatchBotOk = $true; ` +
    `try { ${command} } catch { $PatchBotOk = $false; [Console]::Error.WriteLine($_.Exception.Message) }; ` +
    `'${MARKER_PREFIX} ${nonce} ' + ([ordered]@{ ok = $PatchBotOk; exit = $global:LASTEXITCODE } | ConvertTo-Json -Compress)`
  );
}

/**
 * One line of printable ASCII. A line break would end the command early (`-Command -` reads line
 * by line), and Windows PowerShell decodes stdin in the OEM code page, which mangles anything else.
 */
export function isSendable(command: string): boolean {
  return /^[\x20-\x7e]*$/.test(command);
}

/**
 * Session start-up, one command per line, each sent in the envelope. UTF-8 without a BOM (a BOM
 * would prefix the next output); 'Stop' turns non-terminating errors into ones the envelope
 * catches; progress bars would only add noise to redirected output.
 */
export function sessionInitCommands(modulePath: string): string[] {
  return [
    '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding -ArgumentList $false',
    "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'",
    `Import-Module -Name ${psQuote(modulePath)}`,
  ];
}

export interface Marker {
  /** False when the command threw (its message went to stderr). */
  ok: boolean;
  /** $LASTEXITCODE after the command; null when no native program ran. */
  exit: number | null;
}

/**
 * Finds this invocation's marker (the end of the last line of stdout) and returns it with the
 * output that came before it. A marker with another nonce, a marker that is not on the last line,
 * or a malformed one counts as no marker at all.
 *
 * The marker may share its line with output before it: a native program, `Write-Host -NoNewline`
 * or `[Console]::Out.Write` that leaves no final line break gets the marker glued to its last
 * line (PowerShell writes straight after it). The envelope's marker is always the last thing
 * its line prints, so the last occurrence on that line is the one that counts.
 */
export function takeMarker(stdout: string, nonce: string): { marker: Marker | null; output: string } {
  const text = stdout
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .replace(/\s+$/, '');
  const cut = text.lastIndexOf('\n');
  const lastLine = text.slice(cut + 1);
  const at = lastLine.lastIndexOf(`${MARKER_PREFIX} ${nonce} `);
  if (at === -1) return { marker: null, output: text };
  const marker = parseMarkerJson(lastLine.slice(at + MARKER_PREFIX.length + nonce.length + 2));
  if (!marker) return { marker: null, output: text };
  const before = text.slice(0, cut + 1 + at);
  return { marker, output: before.endsWith('\n') ? before.slice(0, -1) : before };
}

function parseMarkerJson(json: string): Marker | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { ok, exit } = value as Record<string, unknown>;
  if (typeof ok !== 'boolean') return null;
  if (exit !== null && !(typeof exit === 'number' && Number.isInteger(exit))) return null;
  return { ok, exit };
}
