/**
 * A capture connector: a test double of the Bot Connector REST service that Teams runs for bots.
 * It is NOT Teams and does not pretend to be: it answers the handful of calls botbuilder makes
 * when a bot sends, replies, updates or deletes a message, records everything it receives, and
 * can misbehave on purpose (throttling, precondition and gateway errors, slowness, Teams'
 * per-conversation rate limits) so conversation tests, reliability tests and benchmarks can run
 * over real HTTP with no tenant. Point an activity's `serviceUrl` at `url` and botbuilder talks
 * to it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import {
  ConversationLimitTracker,
  FaultInjector,
  type FaultRule,
  type InjectedFault,
  type RateWindow,
} from './capture-connector-faults.js';
import {
  CaptureRecords,
  type CapturedActivity,
  type CapturedRequest,
  type JsonObject,
  type MessageView,
} from './capture-connector-records.js';
import { routeConnectorRequest } from './capture-connector-routes.js';

export type {
  ConnectorCall,
  ConnectorCallKind,
  FaultRule,
  InjectedFault,
} from './capture-connector-faults.js';
export type { CapturedActivity, CapturedRequest, MessageView } from './capture-connector-records.js';
export { ADAPTIVE_CARD_CONTENT_TYPE } from './capture-connector-records.js';

/** off: no limits; observe: count violations but accept; enforce: answer 429 and count. */
export type TeamsLimitMode = 'off' | 'observe' | 'enforce';

export interface CaptureConnectorOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 'observe'. */
  teamsLimits?: TeamsLimitMode;
  /** Default: the windows in src/bot/pacing.ts (7/1 s, 8/2 s, 60/30 s, 1800/h). */
  limitWindows?: readonly RateWindow[];
  /** Whether an enforced 429 carries Retry-After; default true. */
  limitRetryAfter?: boolean;
  /** Bodies above this are refused with 413; default 1 MiB. */
  maxBodyBytes?: number;
  /** Unknown routes are reported here at warn level; without a logger they go to stderr. */
  logger?: Pick<Logger, 'warn'>;
}

export interface CaptureStats {
  /** Every HTTP request, known route or not. */
  readonly received: number;
  readonly accepted: number;
  /** 429 answers, injected or enforced. */
  readonly throttled: number;
  /** Calls that exceeded a Teams limit window (answered 429 only in enforce mode). */
  readonly violations: number;
  /** Every answer that was not 2xx. */
  readonly refused: number;
  readonly unknownRoutes: number;
}

export type WaitPredicate<T> = (
  activities: readonly CapturedActivity[],
  connector: CaptureConnector,
) => T | undefined | null | false;

export interface CaptureConnector {
  /** Base address to use as the activities' serviceUrl, e.g. `http://127.0.0.1:40123/`. */
  readonly url: string;
  /** Accepted activities (send, reply, update, delete) in arrival order. */
  readonly activities: readonly CapturedActivity[];
  /** Every HTTP call with its answer, accepted or not. */
  readonly requests: readonly CapturedRequest[];
  readonly stats: CaptureStats;
  /** Current views of the messages posted with exactly this conversation id, oldest first. */
  messages(conversationId: string): MessageView[];
  message(messageId: string): MessageView | undefined;
  /** The Adaptive Card a message shows now (after the latest update), if any. */
  currentCard(messageId: string): JsonObject | undefined;
  /** Resolves with the predicate's first truthy result; rejects after timeoutMs (default 5 s). */
  waitFor<T>(predicate: WaitPredicate<T>, timeoutMs?: number): Promise<T>;
  inject(rule: FaultRule): InjectedFault;
  clearFaults(): void;
  setTeamsLimits(mode: TeamsLimitMode): void;
  close(): Promise<void>;
}

interface Waiter {
  check(): void;
}

export async function startCaptureConnector(
  options: CaptureConnectorOptions = {},
): Promise<CaptureConnector> {
  const records = new CaptureRecords();
  const faults = new FaultInjector();
  const limits = new ConversationLimitTracker(options.limitWindows);
  const counters = { received: 0, accepted: 0, throttled: 0, violations: 0, refused: 0, unknownRoutes: 0 };
  const waiters = new Set<Waiter>();
  // Delayed answers still pending; close() ends them early so nothing is left waiting.
  const pendingDelays = new Map<NodeJS.Timeout, () => void>();
  let limitMode: TeamsLimitMode = options.teamsLimits ?? 'observe';
  let closed = false;

  const warn =
    options.logger !== undefined
      ? (fields: JsonObject, message: string) => options.logger?.warn(fields, message)
      : (fields: JsonObject, message: string) =>
          process.stderr.write(`[capture-connector] ${message} ${JSON.stringify(fields)}\n`);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pendingDelays.delete(timer);
        resolve();
      }, ms);
      pendingDelays.set(timer, resolve);
    });

  const server = http.createServer((req, res) => {
    counters.received += 1;
    void routeConnectorRequest(req, res, {
      records,
      faults,
      limits,
      limitMode: () => limitMode,
      limitRetryAfter: options.limitRetryAfter ?? true,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      sleep,
      onUnknownRoute: (method, rawPath) => {
        counters.unknownRoutes += 1;
        warn({ method, path: rawPath }, 'UNKNOWN Bot Connector route called; answered 404');
      },
      onViolation: () => {
        counters.violations += 1;
      },
    })
      .then((request) => {
        if (request.status === 429) counters.throttled += 1;
        if (request.status >= 200 && request.status < 300) counters.accepted += 1;
        else counters.refused += 1;
        for (const waiter of waiters) waiter.check();
      })
      .catch((error: unknown) => {
        warn({ err: String(error) }, 'capture connector failed to answer');
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  const connector: CaptureConnector = {
    url: `http://${host}:${port}/`,
    activities: records.activities,
    requests: records.requests,
    get stats() {
      return { ...counters };
    },
    messages: (conversationId) => records.messages(conversationId),
    message: (messageId) => records.message(messageId),
    currentCard: (messageId) => records.currentCard(messageId),
    inject: (rule) => faults.inject(rule),
    clearFaults: () => faults.clear(),
    setTeamsLimits: (mode) => {
      limitMode = mode;
    },
    waitFor<T>(predicate: WaitPredicate<T>, timeoutMs = 5000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          check: () => {
            let result: T | undefined | null | false;
            try {
              result = predicate(records.activities, connector);
            } catch (error) {
              finish();
              reject(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            if (result) {
              finish();
              resolve(result);
            }
          },
        };
        const timer = setTimeout(() => {
          finish();
          const seen = records.activities
            .slice(-10)
            .map((a) => `#${a.seq} ${a.kind} ${a.conversationId} ${a.activityId}`);
          reject(
            new Error(
              `capture connector: condition not met within ${timeoutMs} ms; last activities:\n${seen.join('\n') || '(none)'}`,
            ),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
        waiter.check();
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const [timer, resolve] of pendingDelays) {
        clearTimeout(timer);
        resolve();
      }
      pendingDelays.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return connector;
}
