import { snippetScenarios } from '../support/snippet-scenarios.js';

// Firefox ESR (Debian's firefox-esr) through Puppeteer over WebDriver BiDi.
snippetScenarios('firefox');
