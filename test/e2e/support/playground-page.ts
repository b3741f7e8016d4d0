/**
 * Drives the playground's web UI like a person would: pick a conversation, type, click card
 * buttons, read what the bot shows. The UI has no test ids and hashed class names; the
 * selectors below are the stable handles (aria labels, Adaptive Cards' own classes).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { conversationLabels, type PlaygroundTenant } from '../../../src/lab/playground.js';

export const ARTIFACTS_DIR = fileURLToPath(new URL('../../artifacts/', import.meta.url));

export const PLAYGROUND_SELECTORS = {
  messageInput: '[data-lexical-editor="true"][role="textbox"]',
  sendButton: 'button[aria-label="Send Message"]',
  postButton: 'button.fui-Button:text-is("Post")',
  mentionMenuItem: '#typeahead-menu [role="menuitem"]',
  /** A message in a personal or group chat (the sidebar repeats the last one: scope to these). */
  chatMessage: 'div:has(> [aria-label="Message header"])',
  /** A channel post with its replies (the composer is also a group, but has a Post button). */
  channelThread: 'div[role="group"]:has([aria-label="Show more information"])',
  card: '.ac-adaptiveCard',
  factTitle: '.ac-fact-title',
  factValue: '.ac-fact-value',
  conversation: (label: string) => `[role="treeitem"][aria-label=${JSON.stringify(label)}]`,
  cardButton: (title: string) => `.ac-actionSet button[aria-label=${JSON.stringify(title)}]`,
} as const;

export interface Fact {
  title: string;
  value: string;
}

export class PlaygroundPage {
  private inChannel = false;

  constructor(
    readonly page: Page,
    readonly playgroundUrl: string,
    readonly tenant: PlaygroundTenant,
  ) {}

  /**
   * Loads the UI (the personal chat is selected). Every load makes the playground send the
   * bot installation and conversation updates again, and starts with an empty transcript.
   */
  async open(): Promise<void> {
    await this.page.goto(this.playgroundUrl);
    await this.page.locator(PLAYGROUND_SELECTORS.messageInput).first().waitFor();
    this.inChannel = false;
  }

  /** E.g. "Personal Chat", the group chat's name, "IT Ops - General", "IT Ops - Patching". */
  async selectConversation(label: string): Promise<void> {
    const labels = conversationLabels(this.tenant);
    this.inChannel = label === labels.generalChannel || label === labels.channel;
    await this.page.locator(PLAYGROUND_SELECTORS.conversation(label)).click();
    if (this.inChannel) await this.page.locator(PLAYGROUND_SELECTORS.postButton).waitFor();
    else await this.page.locator(PLAYGROUND_SELECTORS.sendButton).first().waitFor();
  }

  /**
   * Types a message and sends it: in a chat with Enter, in a channel as a new post (which
   * starts a thread). Bots only hear group chats and channels when @mentioned.
   */
  async sendMessage(text: string, options: { mentionBot?: boolean } = {}): Promise<void> {
    const composer = this.inChannel
      ? this.page.locator('div[role="group"]', { has: this.page.locator(PLAYGROUND_SELECTORS.postButton) })
      : this.page;
    const input = composer.locator(PLAYGROUND_SELECTORS.messageInput).first();
    await this.type(input, text, options.mentionBot === true);
    if (this.inChannel) await composer.locator(PLAYGROUND_SELECTORS.postButton).click();
    else await input.press('Enter');
  }

  /** Answers inside a channel thread (see threadContaining). */
  async replyInThread(thread: Locator, text: string, options: { mentionBot?: boolean } = {}): Promise<void> {
    const input = thread.locator(PLAYGROUND_SELECTORS.messageInput).first();
    await this.type(input, text, options.mentionBot === true);
    await thread.locator(PLAYGROUND_SELECTORS.sendButton).click();
  }

  /** Chat messages and channel threads in the conversation pane. */
  messages(): Locator {
    return this.page.locator(`${PLAYGROUND_SELECTORS.chatMessage}, ${PLAYGROUND_SELECTORS.channelThread}`);
  }

  /** Waits for the last message (or channel thread) whose text contains `text`. */
  async waitForMessage(text: string, timeoutMs = 10_000): Promise<Locator> {
    const message = this.messages().filter({ hasText: text }).last();
    await message.waitFor({ timeout: timeoutMs });
    return message;
  }

  async threadContaining(text: string, timeoutMs = 10_000): Promise<Locator> {
    const thread = this.page.locator(PLAYGROUND_SELECTORS.channelThread).filter({ hasText: text }).last();
    await thread.waitFor({ timeout: timeoutMs });
    return thread;
  }

  /** Every rendered Adaptive Card, optionally only those containing `text`. */
  cards(text?: string): Locator {
    const cards = this.page.locator(PLAYGROUND_SELECTORS.card);
    return text === undefined ? cards : cards.filter({ hasText: text });
  }

  /**
   * Waits for the last card containing `text`. The locator re-queries by text, so after the
   * card changes in place wait again with text of the new version.
   */
  async waitForCard(text: string, timeoutMs = 10_000): Promise<Locator> {
    const card = this.cards(text).last();
    await card.waitFor({ timeout: timeoutMs });
    return card;
  }

  async clickCardButton(card: Locator, title: string): Promise<void> {
    await card.locator(PLAYGROUND_SELECTORS.cardButton(title)).click();
  }

  /** The card's FactSet rows, in order. */
  async readFacts(card: Locator): Promise<Fact[]> {
    const titles = await card.locator(PLAYGROUND_SELECTORS.factTitle).allInnerTexts();
    const values = await card.locator(PLAYGROUND_SELECTORS.factValue).allInnerTexts();
    return titles.map((title, i) => ({ title: title.trim(), value: (values[i] ?? '').trim() }));
  }

  /** Saves a full-page PNG to test/artifacts/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  private async type(input: Locator, text: string, mentionBot: boolean): Promise<void> {
    await input.click();
    if (mentionBot) {
      const botName = this.tenant.bot.name;
      await input.pressSequentially(`@${botName}`);
      await this.page
        .locator(PLAYGROUND_SELECTORS.mentionMenuItem)
        .filter({ hasText: botName })
        .first()
        .click();
      await input.pressSequentially(' ');
    }
    await input.pressSequentially(text);
  }
}
