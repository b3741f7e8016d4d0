import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALL_VERBS,
  CARD_TEMPLATE_NAMES,
  cardTemplateDir,
  INPUT_IDS,
  loadCardTemplate,
  renderCard,
  type CardTemplateName,
} from '../../src/cards/index.js';
import { createTranslator } from '../../src/i18n/index.js';
import { mustPlan, REQUESTS } from './fixtures.js';
import { modelsFor } from './models-for-tests.js';
import { untranslatedBits, validateCard, VISIBLE_FIELDS, visibleText } from './validate-card.js';

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(join(cardTemplateDir(), file), 'utf8'));
}

function collect(node: unknown, visit: (obj: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => collect(n, visit));
  else if (typeof node === 'object' && node !== null) {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((v) => collect(v, visit));
  }
}

/** Key structure of a value: arrays by their first element, leaves by type. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (value === null) return 'null';
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shapeOf(v)]),
    );
  }
  return typeof value;
}

const built = modelsFor(mustPlan(REQUESTS.enterprise), createTranslator('en-US'));

describe.each(CARD_TEMPLATE_NAMES)('template %s', (name: CardTemplateName) => {
  const template = readJson(`${name}.json`);
  const sample = readJson(`${name}.sample.json`);

  it('is an Adaptive Card 1.5 with no literal user-visible text', () => {
    expect(template).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    const literals: string[] = [];
    collect(template, (obj) => {
      for (const field of VISIBLE_FIELDS) {
        if (field === 'value' && obj.type === 'Input.Toggle') continue;
        const value = obj[field];
        if (typeof value === 'string' && /\p{L}/u.test(value.replace(/\$\{[^}]*\}/g, '')))
          literals.push(value);
      }
    });
    expect(literals).toEqual([]);
  });

  it('uses only shared verbs and input ids, and every action carries the run id', () => {
    collect(template, (obj) => {
      if (typeof obj.type === 'string' && obj.type.startsWith('Action.')) {
        expect(obj.type).toBe('Action.Execute');
        expect(ALL_VERBS).toContain(obj.verb);
        // Package catalog changes are not runs: their actions carry the change's id instead.
        if (String(obj.verb).startsWith('package.'))
          expect(obj.data).toMatchObject({ changeId: '${changeId}' });
        else expect(obj.data).toMatchObject({ runId: '${runId}' });
      }
      if (typeof obj.type === 'string' && obj.type.startsWith('Input.')) {
        expect(Object.values(INPUT_IDS)).toContain(obj.id);
      }
    });
  });

  it('has sample data with the shape the builder produces', () => {
    expect(shapeOf(sample)).toEqual(shapeOf(built[name]));
  });

  it('renders its sample data into a valid card', () => {
    const card = renderCard(name, sample as never).content;
    expect(validateCard(card)).toEqual([]);
    expect(untranslatedBits(visibleText(card))).toEqual([]);
  });

  it('is read from disk once', () => {
    expect(loadCardTemplate(name)).toBe(loadCardTemplate(name));
  });
});

describe('the validator', () => {
  it('catches the mistakes it is there for', () => {
    const bad = {
      type: 'AdaptiveCard',
      version: '1.4',
      body: [
        { type: 'TextBlock', text: ' ' },
        { type: 'TextBlock', text: 'Hello ${name}' },
        { type: 'Marquee' },
      ],
      actions: [
        { type: 'Action.Submit', title: 'Go', data: {} },
        { type: 'Action.Execute', verb: 'run.explode', title: 'Go', data: { runId: 1 } },
        { type: 'Action.Execute', verb: 'run.abort', title: 'Go', data: { runId: '1' } },
      ],
    };
    expect(validateCard(bad)).toHaveLength(7);
  });
});
