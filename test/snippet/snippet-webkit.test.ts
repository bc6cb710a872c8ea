import { snippetScenarios } from '../support/snippet-scenarios.js';

// WebKit, Safari's engine, as WebKitGTK's MiniBrowser (Debian's webkit2gtk-driver) on Xvfb.
snippetScenarios('webkit');
