/**
 * Child entry: the baseline for the turn-latency benchmark. A bare botbuilder echo handler, no
 * TeamsActivityHandler, no store: CloudAdapter in lab mode (no JWT) behind restify, replying in
 * the turn exactly as the patch bot does (context.sendActivity through the Bot Connector client).
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import restify from 'restify';
import { ownUsage, serveParent } from './child-process.js';

const adapter = new CloudAdapter(
  new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }),
);
const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
server.post('/api/messages', restify.plugins.bodyParser({ mapParams: false }), async (req, res) => {
  await adapter.process(req, res, async (context) => {
    if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

serveParent(`http://127.0.0.1:${server.address().port}`, {
  usage: async () => ownUsage(),
  state: async () => ({}),
  run: async () => undefined,
  'register-runners': async () => undefined,
  stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
});
