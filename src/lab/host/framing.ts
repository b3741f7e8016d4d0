/**
 * SIMULATOR: what the lab host accepts on stdin, line by line. Exactly three shapes:
 * node-powershell's delimiter lines (stock WriteLine, or the runner's bare-LF Write), the runner's
 * one-line envelope around a command, and blank lines. Everything else is refused loudly.
 * The envelope text is spelled out here on purpose, independently of src/runner/envelope.ts:
 * if the runner's envelope changes, the lab stops recognising it and the tests say so.
 */

export type HostLine =
  | { kind: 'delimiter'; stream: 'out' | 'err'; id: string; ending: 'writeline' | 'bare-lf' }
  | { kind: 'envelope'; command: string; nonce: string }
  | { kind: 'blank' }
  | { kind: 'other'; text: string };

const DELIMITER_WRITELINE = /^\[Console\]::(Out|Error)\.WriteLine\("([0-9A-Za-z]{16})"\)$/;
const DELIMITER_BARE_LF = /^\[Console\]::(Out|Error)\.Write\("([0-9A-Za-z]{16})`n"\)$/;

const ENVELOPE_HEAD = '$global:LASTEXITCODE = $null; $PatchBotOk = $true; try { ';
const ENVELOPE_MIDDLE =
  " } catch { $PatchBotOk = $false; [Console]::Error.WriteLine($_.Exception.Message) }; '##patchbot ";
const ENVELOPE_TAIL =
  " ' + ([ordered]@{ ok = $PatchBotOk; exit = $global:LASTEXITCODE } | ConvertTo-Json -Compress)";

export function classifyLine(raw: string): HostLine {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return { kind: 'blank' };
  const delimiter = DELIMITER_WRITELINE.exec(line) ?? DELIMITER_BARE_LF.exec(line);
  if (delimiter) {
    return {
      kind: 'delimiter',
      stream: delimiter[1] === 'Out' ? 'out' : 'err',
      id: delimiter[2] ?? '',
      ending: delimiter[0].includes('WriteLine') ? 'writeline' : 'bare-lf',
    };
  }
  if (line.startsWith(ENVELOPE_HEAD) && line.endsWith(ENVELOPE_TAIL)) {
    const middle = line.lastIndexOf(ENVELOPE_MIDDLE);
    if (middle >= ENVELOPE_HEAD.length) {
      const nonce = line.slice(middle + ENVELOPE_MIDDLE.length, line.length - ENVELOPE_TAIL.length);
      if (/^[0-9a-f]{16}$/.test(nonce)) {
        return { kind: 'envelope', command: line.slice(ENVELOPE_HEAD.length, middle), nonce };
      }
    }
  }
  return { kind: 'other', text: line };
}

/** The marker line the envelope prints last (what ConvertTo-Json -Compress gives for it). */
export function markerLine(nonce: string, ok: boolean, exit: number | null): string {
  return `##patchbot ${nonce} ${JSON.stringify({ ok, exit })}`;
}
