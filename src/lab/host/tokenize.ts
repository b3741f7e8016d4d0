/**
 * SIMULATOR: reads the small subset of PowerShell command syntax the step catalog produces:
 * a command name, then bare words, -Parameters and single-quoted strings. Variables, pipes,
 * semicolons, sub-expressions, double quotes and backticks are not understood: a command using
 * them is "unknown" and fails loudly, which is how injected text would show up in tests.
 */

export interface ParsedCommand {
  name: string;
  /** Parameter name (case kept) -> value, or true for a switch. */
  params: Map<string, string | true>;
  positional: string[];
}

/** The four characters PowerShell accepts as a single quote. */
const QUOTES = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
const BARE = /^[A-Za-z0-9_.:\\/-]$/;

type Token = { text: string; quoted: boolean };

export function tokenize(command: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < command.length) {
    const c = command[i] ?? '';
    if (c === ' ') {
      i++;
      continue;
    }
    if (QUOTES.has(c)) {
      let text = '';
      i++;
      for (;;) {
        if (i >= command.length) return null;
        const q = command[i] ?? '';
        if (QUOTES.has(q)) {
          // Two quote characters in a row stand for one literal quote.
          if (QUOTES.has(command[i + 1] ?? '')) {
            text += q;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += q;
        i++;
      }
      tokens.push({ text, quoted: true });
      continue;
    }
    let word = '';
    while (i < command.length && BARE.test(command[i] ?? '')) word += command[i++];
    if (word === '' || (i < command.length && command[i] !== ' ')) return null;
    tokens.push({ text: word, quoted: false });
  }
  return tokens;
}

export function parseCommand(command: string): ParsedCommand | null {
  const tokens = tokenize(command);
  const [head, ...rest] = tokens ?? [];
  if (!head || head.quoted) return null;
  const params = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i];
    if (!token) continue;
    if (!token.quoted && /^-[A-Za-z][A-Za-z0-9]*$/.test(token.text)) {
      const next = rest[i + 1];
      const isValue = next !== undefined && (next.quoted || !next.text.startsWith('-'));
      params.set(token.text.slice(1), isValue ? next.text : true);
      if (isValue) i++;
    } else {
      positional.push(token.text);
    }
  }
  return { name: head.text, params, positional };
}
