import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Field paths that may hold secrets; pino replaces their values before anything is written. */
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'MicrosoftAppPassword',
  '*.MicrosoftAppPassword',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-patchbot-signature"]',
  '*.headers["x-patchbot-signature"]',
];

/** One structured logger for the process; every module receives a child of it. */
export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.destination ?? process.stdout,
  );
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
