import { ALL_VERBS } from '../../src/cards/index.js';

/**
 * A small structural check of expanded Adaptive Cards: the subset of the 1.5 schema our templates
 * use, plus our own rules (every action is Action.Execute with a known verb and a numeric runId,
 * nothing left unbound, no empty text). Returns the problems found, each with its JSON path.
 */

const ELEMENTS = new Set([
  'TextBlock',
  'RichTextBlock',
  'Container',
  'ColumnSet',
  'FactSet',
  'Image',
  'ActionSet',
  'Input.Text',
  'Input.Toggle',
]);
const COLORS = new Set(['default', 'dark', 'light', 'accent', 'good', 'warning', 'attention']);
const STYLES = new Set(['default', 'emphasis', 'good', 'attention', 'warning', 'accent']);
/** Teams refuses card payloads of roughly 28 KB and more. */
export const MAX_CARD_BYTES = 28 * 1024;

/** Fields whose strings a user reads. */
export const VISIBLE_FIELDS = ['text', 'title', 'value', 'label', 'placeholder'] as const;

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: Json) => typeof v === 'string' && v.trim() !== '';

export function validateCard(card: Json): string[] {
  const problems: string[] = [];
  const fail = (path: string, message: string) => problems.push(`${path}: ${message}`);
  if (!isObject(card)) return ['$: not an object'];
  if (card.type !== 'AdaptiveCard') fail('$.type', 'must be AdaptiveCard');
  if (card.version !== '1.5') fail('$.version', 'must be 1.5');
  if (!Array.isArray(card.body) || card.body.length === 0) fail('$.body', 'must be a non-empty array');
  if (Buffer.byteLength(JSON.stringify(card)) > MAX_CARD_BYTES) fail('$', 'larger than Teams accepts');
  checkStrings(card, '$', fail);
  const inputIds = new Set<string>();
  if (Array.isArray(card.body))
    card.body.forEach((el, i) => checkElement(el, `$.body[${i}]`, fail, inputIds));
  if (card.actions !== undefined) {
    if (!Array.isArray(card.actions)) fail('$.actions', 'must be an array');
    else card.actions.forEach((a, i) => checkAction(a, `$.actions[${i}]`, fail));
  }
  if (card.refresh !== undefined) checkRefresh(card.refresh, fail);
  return problems;
}

type Fail = (path: string, message: string) => void;

function checkStrings(value: Json, path: string, fail: Fail): void {
  if (value === null) fail(path, 'null');
  else if (typeof value === 'string' && value.includes('${')) fail(path, `unbound expression in "${value}"`);
  else if (Array.isArray(value)) value.forEach((v, i) => checkStrings(v, `${path}[${i}]`, fail));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) checkStrings(v, `${path}.${k}`, fail);
}

function checkElement(el: Json, path: string, fail: Fail, inputIds: Set<string>): void {
  if (!isObject(el) || typeof el.type !== 'string') return fail(path, 'element without a type');
  if (!ELEMENTS.has(el.type)) return fail(path, `unknown element type ${el.type}`);
  if (el.color !== undefined && !COLORS.has(String(el.color).toLowerCase()))
    fail(path, `bad color ${el.color}`);
  if (el.style !== undefined && el.type === 'Container' && !STYLES.has(String(el.style))) {
    fail(path, `bad container style ${String(el.style)}`);
  }
  switch (el.type) {
    case 'TextBlock':
      if (!nonEmpty(el.text)) fail(path, 'empty TextBlock');
      break;
    case 'RichTextBlock':
      if (!Array.isArray(el.inlines) || el.inlines.length === 0) fail(path, 'RichTextBlock without inlines');
      else
        el.inlines.forEach((run, i) => {
          if (!isObject(run) || run.type !== 'TextRun' || !nonEmpty(run.text))
            fail(`${path}.inlines[${i}]`, 'bad TextRun');
        });
      break;
    case 'FactSet':
      if (!Array.isArray(el.facts)) fail(path, 'FactSet without facts');
      else
        el.facts.forEach((f, i) => {
          if (!isObject(f) || !nonEmpty(f.title) || !nonEmpty(f.value))
            fail(`${path}.facts[${i}]`, 'empty fact');
        });
      break;
    case 'Container':
      if (!Array.isArray(el.items)) fail(path, 'Container without items');
      else el.items.forEach((c, i) => checkElement(c, `${path}.items[${i}]`, fail, inputIds));
      break;
    case 'ColumnSet':
      if (!Array.isArray(el.columns)) fail(path, 'ColumnSet without columns');
      else
        el.columns.forEach((col, i) => {
          const colPath = `${path}.columns[${i}]`;
          if (!isObject(col) || col.type !== 'Column' || !Array.isArray(col.items))
            return fail(colPath, 'bad Column');
          col.items.forEach((c, j) => checkElement(c, `${colPath}.items[${j}]`, fail, inputIds));
        });
      break;
    case 'ActionSet':
      if (!Array.isArray(el.actions)) fail(path, 'ActionSet without actions');
      else el.actions.forEach((a, i) => checkAction(a, `${path}.actions[${i}]`, fail));
      break;
    case 'Input.Text':
    case 'Input.Toggle':
      if (!nonEmpty(el.id)) fail(path, 'input without id');
      else if (inputIds.has(String(el.id))) fail(path, `duplicate input id ${String(el.id)}`);
      else inputIds.add(String(el.id));
      if (el.type === 'Input.Toggle' && !nonEmpty(el.title)) fail(path, 'toggle without title');
      if (el.type === 'Input.Text' && !nonEmpty(el.label)) fail(path, 'text input without label');
      break;
  }
}

function checkAction(action: Json, path: string, fail: Fail): void {
  if (!isObject(action)) return fail(path, 'not an object');
  if (action.type !== 'Action.Execute')
    return fail(path, `action type ${String(action.type)} is not Action.Execute`);
  if (!(ALL_VERBS as readonly Json[]).includes(action.verb))
    fail(path, `unknown verb ${String(action.verb)}`);
  if (!nonEmpty(action.title)) fail(path, 'action without title');
  checkRunId(action.data, `${path}.data`, fail, idField(action.verb));
}

/** Package catalog changes are not runs: their actions carry changeId instead of runId. */
function idField(verb: Json): 'runId' | 'changeId' {
  return typeof verb === 'string' && verb.startsWith('package.') ? 'changeId' : 'runId';
}

function checkRunId(data: Json, path: string, fail: Fail, field: 'runId' | 'changeId' = 'runId'): void {
  const id = isObject(data) ? data[field] : undefined;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    fail(path, `data.${field} must be a positive whole number`);
  }
}

function checkRefresh(refresh: Json, fail: Fail): void {
  if (!isObject(refresh) || !isObject(refresh.action)) return fail('$.refresh', 'needs an action');
  const verb = refresh.action.verb;
  if (refresh.action.type !== 'Action.Execute' || (verb !== 'run.refresh' && verb !== 'package.refresh')) {
    fail('$.refresh.action', 'must be Action.Execute run.refresh or package.refresh');
  }
  checkRunId(refresh.action.data, '$.refresh.action.data', fail, idField(verb));
  const ids = refresh.userIds;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(nonEmpty))
    fail('$.refresh.userIds', 'need user ids');
}

/** Every string a reader sees on the card, in document order. */
export function visibleText(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => visibleText(n, out));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'data' || key === 'refresh') continue;
      if (key === 'value' && node.type === 'Input.Toggle') continue;
      if ((VISIBLE_FIELDS as readonly string[]).includes(key) && typeof value === 'string') out.push(value);
      else visibleText(value, out);
    }
  }
  return out;
}

/** Things that look like catalog keys or unfilled placeholders instead of text. */
export function untranslatedBits(texts: readonly string[]): string[] {
  const key =
    /\b(?:step|error|card|state|help|bot|product|edition|variant|phase|command|language|runner|status|history)\.[a-z][\w.-]*[a-z]\b/;
  const placeholder = /\{[A-Za-z][A-Za-z0-9]*\}/;
  return texts.filter((s) => placeholder.test(s) || (key.test(s) && !/\.(?:local|com|exe|zip)\b/.test(s)));
}
