import type { ParsedCommand } from '../commands/index.js';
import type { PackageChanges } from '../fleet/package-changes.js';
import { fleetRows } from '../fleet/versions.js';
import type { Translator } from '../i18n/index.js';
import type { Store } from '../store/store.js';
import type { Turn } from './turn.js';
import { refusalText } from './update-dialog.js';
import type { Views } from './views.js';

type FleetCommand = Extract<ParsedCommand, { name: 'versions' | 'packages' | 'package' }>;

/** `versions`, `packages` and `package add/remove`: the fleet and its package catalog. */
export class FleetCommands {
  constructor(private readonly deps: { store: Store; views: Views; packageChanges: PackageChanges }) {}

  async run(turn: Turn, t: Translator, command: FleetCommand): Promise<void> {
    const { store, views, packageChanges } = this.deps;
    switch (command.name) {
      case 'versions': {
        const rows = fleetRows(store);
        await turn.reply(rows.length ? { attachments: [views.versions(rows, t)] } : t.t('runners.none'));
        return;
      }
      case 'packages':
        await turn.reply({
          attachments: [views.packages(store.packages(), store.pendingPackageChanges(), t)],
        });
        return;
      case 'package': {
        const outcome = await packageChanges.propose(command, {
          person: turn.user,
          conversationId: turn.conversationId,
          locale: t.locale,
        });
        if (!outcome.ok) {
          await turn.reply(refusalText(t, outcome.refusal));
          return;
        }
        const cardId = await turn.reply({ attachments: [views.packageChange(outcome.value, t)] });
        if (cardId && outcome.value.status === 'awaiting-approval')
          await packageChanges.attachCard(outcome.value.id, cardId);
        return;
      }
    }
  }
}
