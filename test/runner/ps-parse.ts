import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

/**
 * Parses PowerShell text with tree-sitter-powershell (wasm, no native build). Used to prove that
 * every script the runner can send, and the helper module, is well-formed PowerShell.
 */
export interface ParsedScript {
  /** Text of ERROR / MISSING nodes, with their position. */
  problems: string[];
  commandNames: string[];
  /** Number of `command` nodes (a one-liner step must have exactly one). */
  commandCount: number;
  root: Node;
}

let parser: Parser | null = null;

export async function powershellParser(): Promise<(text: string) => ParsedScript> {
  if (!parser) {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(
      require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'),
    );
    parser = new Parser();
    parser.setLanguage(language);
  }
  const p = parser;
  return (text) => {
    const tree = p.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree');
    const problems: string[] = [];
    const commandNames: string[] = [];
    let commandCount = 0;
    const walk = (node: Node) => {
      if ((node.isError || node.isMissing) && !isKnownFalsePositive(node)) {
        problems.push(
          `${node.isMissing ? 'MISSING' : 'ERROR'} at ${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${node.text.slice(0, 60)}`,
        );
      }
      if (node.type === 'command') commandCount++;
      if (node.type === 'command_name') commandNames.push(node.text);
      for (const child of node.children) if (child) walk(child);
    };
    walk(tree.rootNode);
    return { problems, commandNames, commandCount, root: tree.rootNode };
  };
}

/**
 * tree-sitter-powershell 0.26.4 reads a parameter name ending in digits (the catalog's -Sha256)
 * as `-Sha` followed by a `256>` redirection with a MISSING `>`. PowerShell itself reads one
 * parameter. Tolerated only in exactly that shape: the digits touch the parameter name.
 */
export function isKnownFalsePositive(node: Node): boolean {
  if (!node.isMissing || node.type !== '>') return false;
  const operator = node.parent;
  const redirection = operator?.parent;
  const parameter = redirection?.previousSibling;
  if (operator?.type !== 'file_redirection_operator' || redirection?.type !== 'redirection') return false;
  if (parameter?.type !== 'command_parameter' || parameter.endIndex !== redirection.startIndex) return false;
  return /^-[A-Za-z]+\d+$/.test(parameter.text + redirection.text.replace(/\s.*$/s, ''));
}
