/**
 * Rewrites cards/<name>.sample.json from the builders (English, enterprise plan), for when a
 * model changes shape: `npx tsx test/cards/update-samples.ts`. The template tests compare the
 * samples' shape with the builders', so a stale sample fails there first.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CARD_TEMPLATE_NAMES, cardTemplateDir } from '../../src/cards/index.js';
import { createTranslator } from '../../src/i18n/index.js';
import { mustPlan, REQUESTS } from './fixtures.js';
import { modelsFor } from './models-for-tests.js';

const models = modelsFor(mustPlan(REQUESTS.enterprise), createTranslator('en-US'));
for (const name of CARD_TEMPLATE_NAMES) {
  writeFileSync(join(cardTemplateDir(), `${name}.sample.json`), `${JSON.stringify(models[name], null, 2)}\n`);
}
