import { afterAll } from 'vitest';
import { restartScenarios } from './restart-scenarios.js';
import { fixture, removeTempDirs } from './support.js';

afterAll(removeTempDirs);

// The TypeScript stand-in lab engine; test/runner/real-pwsh/restart-path.test.ts runs the same on real pwsh.
restartScenarios((spec, conditions) => fixture(spec, { conditions }));
