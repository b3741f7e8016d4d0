/**
 * Listens to the playground's conversation stream, the same WebSocket its web UI uses, and
 * keeps every frame: what the bot sent (createMessage) and changed (updateMessage), plus the
 * user's own messages and typing indicators.
 */
import { connectTextWebSocket, type TextWebSocket } from './websocket-text-client.js';

export const CONVERSATION_STREAM_PATH = '/_ws_conversation/v1/conversations/stream';

export interface StreamMessage {
  messageId: string;
  timestamp?: number;
  from: { id: string };
  text?: string;
  textFormat?: string;
  attachments?: { contentType: string; content?: unknown }[];
  /** Set on the first message of a channel thread: the thread's conversation id. */
  postConversationId?: string;
  [key: string]: unknown;
}

export interface StreamFrame {
  action: 'createMessage' | 'updateMessage' | 'typing' | (string & {});
  /**
   * The conversation the message belongs to: the chat, or for a channel the thread
   * (`<channel>;messageid=<root>`); only a thread's root post is reported under the channel.
   */
  actionConversationId: string;
  message?: StreamMessage;
}

export class ConversationStream {
  readonly frames: StreamFrame[] = [];
  private waiters: { predicate: (frame: StreamFrame) => boolean; resolve: (frame: StreamFrame) => void }[] =
    [];

  private constructor(private socket?: TextWebSocket) {}

  /**
   * Connect before the bot sends anything you want to see: the playground buffers frames only
   * while no client at all (the browser included) is connected.
   */
  static async connect(playgroundUrl: string): Promise<ConversationStream> {
    const stream = new ConversationStream();
    const wsUrl = new URL(CONVERSATION_STREAM_PATH, playgroundUrl.replace(/^http/, 'ws')).toString();
    stream.socket = await connectTextWebSocket(wsUrl, (text) => stream.receive(text));
    return stream;
  }

  /** createMessage and updateMessage frames, in arrival order. */
  messageFrames(): StreamFrame[] {
    return this.frames.filter(
      (frame) => frame.action === 'createMessage' || frame.action === 'updateMessage',
    );
  }

  /** Frames carrying something the bot sent. */
  botFrames(botId: string): StreamFrame[] {
    return this.messageFrames().filter((frame) => frame.message?.from?.id === botId);
  }

  /** Resolves with the first frame, already received or still to come, that matches. */
  waitFor(predicate: (frame: StreamFrame) => boolean, timeoutMs = 10_000): Promise<StreamFrame> {
    const seen = this.frames.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (frame: StreamFrame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(
          new Error(`No matching conversation stream frame within ${timeoutMs} ms; got ${this.describe()}`),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.socket?.close();
  }

  private receive(text: string): void {
    const frame = JSON.parse(text) as StreamFrame;
    this.frames.push(frame);
    const matched = this.waiters.filter((waiter) => waiter.predicate(frame));
    this.waiters = this.waiters.filter((waiter) => !matched.includes(waiter));
    for (const waiter of matched) waiter.resolve(frame);
  }

  private describe(): string {
    return JSON.stringify(this.frames.map((frame) => [frame.action, frame.message?.text ?? '']));
  }
}

/** Text of a frame's message, including the text inside any Adaptive Card it carries. */
export function frameText(frame: StreamFrame): string {
  const message = frame.message;
  const cards = (message?.attachments ?? []).map((attachment) => JSON.stringify(attachment.content ?? ''));
  return [message?.text ?? '', ...cards].join('\n');
}
