import {
  PRODUCTS,
  type DatabaseVariant,
  type Edition,
  type Phase,
  type ProductFamily,
  type StepId,
} from '../procedure/index.js';
import type { RunStatus, StepState } from '../store/types.js';
import type { SupportedLocale } from './locales.js';
import type { Translator } from './translator.js';

/**
 * Names of domain values in the reader's language. Step titles take `{shell}` (the management
 * shell's localized name) and `{product}` (Lync Server / Skype for Business Server), so callers
 * go through stepTitle() rather than t(`step.${id}`).
 */

export function productName(t: Translator, product: ProductFamily): string {
  return t.t(PRODUCTS[product].nameKey);
}

export function shellName(t: Translator, product: ProductFamily): string {
  return t.t(PRODUCTS[product].shellNameKey);
}

export function productFamilyName(t: Translator, product: ProductFamily): string {
  return t.t(product === 'lync2013' ? 'product.family.lync' : 'product.family.sfb');
}

function stepParams(t: Translator, product: ProductFamily) {
  return { shell: shellName(t, product), product: productFamilyName(t, product) };
}

export function stepTitle(t: Translator, id: StepId, product: ProductFamily): string {
  return t.t(`step.${id}`, stepParams(t, product));
}

export function stepWhy(t: Translator, id: StepId, product: ProductFamily): string {
  return t.t(`step.${id}.why`, stepParams(t, product));
}

export function editionName(t: Translator, edition: Edition): string {
  return t.t(`edition.${edition}`);
}

export function variantName(t: Translator, variant: DatabaseVariant): string {
  return t.t(`variant.${variant}`);
}

export function phaseName(t: Translator, phase: Phase): string {
  return t.t(`phase.${phase}`);
}

export function runStatusName(t: Translator, status: RunStatus): string {
  return t.t(`state.run.${status}`);
}

export function stepStateName(t: Translator, state: StepState): string {
  return t.t(`state.step.${state}`);
}

export function languageName(t: Translator, locale: SupportedLocale): string {
  return t.t(`language.${locale}`);
}
