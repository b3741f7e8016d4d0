/**
 * The Bot Connector routes the capture connector answers, and how it answers them (faults and
 * Teams' rate limits included). Only what botbuilder calls when a bot sends, replies, updates or
 * deletes a message is implemented; anything else is reported and answered 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  connectorErrorBody,
  type ConnectorCall,
  type ConnectorCallKind,
  type ConversationLimitTracker,
  type FaultInjector,
} from './capture-connector-faults.js';
import type { CaptureRecords, CapturedRequest, JsonObject } from './capture-connector-records.js';

export interface RouteContext {
  readonly records: CaptureRecords;
  readonly faults: FaultInjector;
  readonly limits: ConversationLimitTracker;
  limitMode(): 'off' | 'observe' | 'enforce';
  readonly limitRetryAfter: boolean;
  readonly maxBodyBytes: number;
  sleep(ms: number): Promise<void>;
  onUnknownRoute(method: string, rawPath: string): void;
  onViolation(call: ConnectorCall): void;
}

interface Route {
  kind: ConnectorCallKind;
  conversationId: string;
  activityId?: string;
}

/**
 * botbuilder (through @azure/core-client) puts each id in one path segment with
 * encodeURIComponent, so `19:x@thread.tacv2;messageid=1` arrives as
 * `19%3Ax%40thread.tacv2%3Bmessageid%3D1`. Splitting the raw path before decoding keeps ids that
 * contain `/` or `;` intact.
 */
export function parseConnectorRoute(method: string, rawPath: string): Route | undefined {
  const path = rawPath.split('?')[0] ?? '';
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] !== 'v3' || segments[1] !== 'conversations' || segments[3] !== 'activities')
    return undefined;
  let conversationId: string;
  let activityId: string | undefined;
  try {
    conversationId = decodeURIComponent(segments[2] ?? '');
    activityId = segments[4] === undefined ? undefined : decodeURIComponent(segments[4]);
  } catch {
    return undefined;
  }
  if (conversationId === '' || segments.length > 5 || activityId === '') return undefined;
  // `POST .../activities/history` is a different operation (sendConversationHistory), not a reply.
  if (activityId === 'history') return undefined;
  if (activityId === undefined) return method === 'POST' ? { kind: 'send', conversationId } : undefined;
  const kind = ({ POST: 'reply', PUT: 'update', DELETE: 'delete' } as const)[method];
  return kind ? { kind, conversationId, activityId } : undefined;
}

class BodyTooLarge extends Error {}

/** Reads the whole body (draining it even when too large, so the client gets the 413 and no reset). */
async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBytes) throw new BodyTooLarge();
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function answer(res: ServerResponse, status: number, body: unknown, retryAfterSeconds?: number): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  // No chaining: restify, when loaded in the same process, replaces ServerResponse.writeHead
  // globally with a version that returns undefined.
  res.writeHead(status, headers);
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** Handles one HTTP request completely and returns what was recorded about it. */
export async function routeConnectorRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
): Promise<CapturedRequest> {
  const method = req.method ?? 'GET';
  const rawPath = req.url ?? '/';
  const authorized = typeof req.headers.authorization === 'string';
  const finish = (
    status: number,
    body: unknown,
    extra: Partial<CapturedRequest> = {},
    retryAfterSeconds?: number,
  ): CapturedRequest => {
    answer(res, status, body, retryAfterSeconds);
    const request: CapturedRequest = {
      at: Date.now(),
      method,
      rawPath,
      status,
      authorized,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...extra,
    };
    ctx.records.requests.push(request);
    return request;
  };

  const route = parseConnectorRoute(method, rawPath);
  if (!route) {
    req.resume();
    ctx.onUnknownRoute(method, rawPath);
    return finish(404, connectorErrorBody(404, `capture connector does not implement ${method} ${rawPath}`), {
      refusal: 'unknown-route',
    });
  }
  const where = { kind: route.kind, conversationId: route.conversationId, activityId: route.activityId };

  let body: unknown;
  try {
    body = await readJson(req, ctx.maxBodyBytes);
  } catch (error) {
    const status = error instanceof BodyTooLarge ? 413 : 400;
    return finish(status, connectorErrorBody(status, 'request body refused'), {
      ...where,
      refusal: 'bad-request',
    });
  }
  const needsActivity = route.kind !== 'delete';
  if (needsActivity && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    return finish(400, connectorErrorBody(400, 'expected an activity object'), {
      ...where,
      refusal: 'bad-request',
    });
  }
  const activity = (body ?? {}) as JsonObject;
  const call: ConnectorCall = { ...where, ...(needsActivity ? { activity } : {}) };

  const fault = ctx.faults.decide(call);
  if (fault && fault.delayMs > 0) await ctx.sleep(fault.delayMs);
  if (fault?.status !== undefined) {
    const errorBody = fault.body ?? connectorErrorBody(fault.status, 'injected by the capture connector');
    return finish(fault.status, errorBody, { ...where, refusal: 'injected' }, fault.retryAfterSeconds);
  }

  if (route.kind !== 'delete' && !applies(ctx, call)) {
    return finish(404, connectorErrorBody(404, `no message ${route.activityId} in this conversation`), {
      ...where,
      refusal: 'not-found',
    });
  }
  const now = Date.now();
  const mode = ctx.limitMode();
  if (mode !== 'off' && route.kind !== 'delete') {
    const check = ctx.limits.check(route.conversationId, now);
    if (check.exceeded) {
      ctx.onViolation(call);
      if (mode === 'enforce') {
        const retryAfter = ctx.limitRetryAfter ? check.retryAfterSeconds : undefined;
        return finish(
          429,
          connectorErrorBody(
            429,
            'conversation rate limit exceeded (capture connector enforcing Teams limits)',
          ),
          { ...where, refusal: 'rate-limit' },
          retryAfter,
        );
      }
    }
  }
  if (route.kind !== 'delete') ctx.limits.record(route.conversationId, now);
  return accept(ctx, route, activity, now, finish, where);
}

/** Updates and replies need a message the conversation can see; sends always apply. */
function applies(ctx: RouteContext, call: ConnectorCall): boolean {
  if (call.kind === 'send' || call.kind === 'reply') return true;
  return call.activityId !== undefined && ctx.records.canChange(call.conversationId, call.activityId);
}

function accept(
  ctx: RouteContext,
  route: Route,
  activity: JsonObject,
  now: number,
  finish: (status: number, body: unknown, extra?: Partial<CapturedRequest>) => CapturedRequest,
  where: Partial<CapturedRequest>,
): CapturedRequest {
  const { records } = ctx;
  switch (route.kind) {
    case 'send':
    case 'reply': {
      const id = records.addMessage(route.kind, route.conversationId, activity, now, route.activityId);
      return finish(201, { id }, { ...where, activityId: id });
    }
    case 'update':
      records.updateMessage(route.conversationId, route.activityId ?? '', activity, now);
      return finish(200, { id: route.activityId }, where);
    case 'delete': {
      const id = route.activityId ?? '';
      if (!records.canChange(route.conversationId, id))
        return finish(404, connectorErrorBody(404, `no message ${id} in this conversation`), {
          ...where,
          refusal: 'not-found',
        });
      records.deleteMessage(route.conversationId, id, now);
      return finish(200, undefined, where);
    }
  }
}
