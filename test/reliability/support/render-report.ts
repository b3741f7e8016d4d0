/** Re-renders docs/reliability.md from test/reliability/results.json without running the suite. */
import { renderFromFile, REPORT_FILE } from './report.js';

renderFromFile();
process.stdout.write(`${REPORT_FILE} rendered\n`);
