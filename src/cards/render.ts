import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import type { CardModels, CardTemplateName } from './models.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** A Bot Framework attachment holding an expanded Adaptive Card. */
export interface AdaptiveCardAttachment {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: Record<string, unknown>;
}

/**
 * Finds the repository's cards/ folder by walking up from this module, so the same code works
 * from src/ (tsx, vitest) and from a build output folder.
 */
function findTemplateDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'cards');
    if (existsSync(join(candidate, 'plan.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('Adaptive Card templates not found: expected a cards/ folder above src/cards');
}

let templateDir: string | null = null;
const templates = new Map<CardTemplateName, ACData.Template>();

export function cardTemplateDir(): string {
  templateDir ??= findTemplateDir();
  return templateDir;
}

/** The parsed template JSON; read from disk once per process. */
export function loadCardTemplate(name: CardTemplateName): ACData.Template {
  let template = templates.get(name);
  if (!template) {
    const json: unknown = JSON.parse(readFileSync(join(cardTemplateDir(), `${name}.json`), 'utf8'));
    template = new ACData.Template(json);
    templates.set(name, template);
  }
  return template;
}

/**
 * Binds a template to its model. `$when` on a property object (the optional refresh block)
 * leaves `null` behind, and Teams rejects some nulls, so null properties and empty action
 * lists are dropped after expansion.
 */
export function renderCard<N extends CardTemplateName>(
  name: N,
  model: CardModels[N],
): AdaptiveCardAttachment {
  const expanded: unknown = loadCardTemplate(name).expand({ $root: model });
  const content = withoutNulls(expanded) as Record<string, unknown>;
  if (Array.isArray(content.actions) && content.actions.length === 0) delete content.actions;
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content };
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== null && v !== undefined) out[key] = withoutNulls(v);
    }
    return out;
  }
  return value;
}
