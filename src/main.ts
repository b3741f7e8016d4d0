// Composition root: the only place that reads config and wires the bot together (lands with the bot issue).
console.log('patch bot: not built yet');
