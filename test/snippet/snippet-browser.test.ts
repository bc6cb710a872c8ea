import { snippetScenarios } from '../support/snippet-scenarios.js';

// Debian's Chromium through Playwright. The same scenarios run in Firefox and WebKit
// (snippet-firefox.test.ts, snippet-webkit.test.ts).
snippetScenarios('chromium');
