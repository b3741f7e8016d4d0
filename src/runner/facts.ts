import type { Logger } from '../log.js';
import {
  fail,
  ok,
  psQuote,
  versionProductName,
  type ProductFamily,
  type Result,
  type ServerFacts,
} from '../procedure/index.js';
import { validateServerFacts } from '../protocol/validate-facts.js';
import { Sessions } from './sessions.js';
import type { ShellSpec } from './shell.js';

export interface FactsReaderOptions {
  shell: ShellSpec;
  modulePath: string;
  product: ProductFamily;
  stagingDir: string;
  logger: Logger;
  /** Limit for starting PowerShell and for the read itself (default 120 s each). */
  timeoutMs?: number;
  now?: () => Date;
}

/** The one thing a runner can read about its server at any time; read() never throws. */
export interface FactsSource {
  /** The facts of the last successful read, null before the first one. */
  readonly latest: ServerFacts | null;
  read(): Promise<ServerFacts | null>;
}

/**
 * Reads the server facts (Get-PatchBotServerFacts) in a PowerShell process of its own, started for
 * the read and ended after it, so it shares nothing with a job's sessions. The agent calls it only
 * between jobs. A read that fails or answers something malformed keeps the previous facts and
 * says why in the log.
 */
export class ServerFactsReader implements FactsSource {
  #latest: ServerFacts | null = null;

  constructor(private readonly options: FactsReaderOptions) {}

  get latest(): ServerFacts | null {
    return this.#latest;
  }

  get command(): string {
    const { product, stagingDir } = this.options;
    return `Get-PatchBotServerFacts -Product ${versionProductName(product)} -StagingPath ${psQuote(stagingDir)}`;
  }

  async read(): Promise<ServerFacts | null> {
    const { logger } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const sessions = new Sessions({
      shell: this.options.shell,
      modulePath: this.options.modulePath,
      startTimeoutMs: timeoutMs,
      logger,
    });
    try {
      const execution = await sessions.execute(this.command, {
        fresh: true,
        replay: [],
        timeoutMs,
        prestart: false,
      });
      if (execution.kind !== 'answered' || !execution.ok) {
        const why = execution.kind === 'session-failed' ? execution.reason : execution.kind;
        logger.warn({ why, stderr: execution.stderr.slice(-400) }, 'could not read the server facts');
        return null;
      }
      const parsed = parseFactsOutput(execution.stdout, this.options.product, this.#now());
      if (!parsed.ok) {
        logger.warn({ why: parsed.error.message }, 'the server facts were malformed; not used');
        return null;
      }
      this.#latest = parsed.value;
      if (parsed.value.csServiceCount === 0) {
        logger.error(
          'this machine runs no Lync/Skype for Business services, so it cannot run the update procedure: ' +
            'install the runner on a Front End Server of the pool (Enterprise) or on the Standard Edition server; ' +
            'update jobs are declined (no-cs-services)',
        );
      }
      return parsed.value;
    } catch (error) {
      logger.warn({ err: error }, 'could not read the server facts');
      return null;
    } finally {
      await sessions.runEnded();
    }
  }

  #now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/**
 * The read's output must hold exactly one JSON line: the facts with `productName` (the module's
 * name for the product) instead of `product`. The runner names the product and the time itself.
 */
export function parseFactsOutput(stdout: string, product: ProductFamily, readAt: Date): Result<ServerFacts> {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  if (lines.length !== 1) {
    return fail('facts-malformed', `expected one JSON line of facts, got ${lines.length}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(lines[0]!);
  } catch {
    return fail('facts-malformed', 'the facts line is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('facts-malformed', 'the facts line is not a JSON object');
  }
  const { productName, ...rest } = raw as Record<string, unknown>;
  // The runner names these itself; a line that brings its own is not the module's.
  const own = ['product', 'readAt'].find((name) => Object.hasOwn(rest, name));
  if (own) return fail('facts-malformed', `the facts line has an unexpected field "${own}"`);
  if (productName !== versionProductName(product)) {
    return fail(
      'facts-malformed',
      `the facts are for product "${String(productName).slice(0, 30)}", this runner is configured for ${versionProductName(product)}`,
    );
  }
  // Windows PowerShell's ConvertTo-Json writes a one-element array as the element itself.
  const components =
    typeof rest.components === 'object' && rest.components !== null && !Array.isArray(rest.components)
      ? [rest.components]
      : rest.components;
  const checked = validateServerFacts({ ...rest, components, product, readAt: readAt.toISOString() });
  return checked.ok ? ok(checked.value) : fail('facts-malformed', checked.error.message);
}
