/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from './temp.js';

/** Debian's chromium, headless, with nothing that talks to the internet. The caller closes it. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Lets <audio> play in a headless tab with no user gesture.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return browser;
}

/**
 * Where screenshots go: DASHBOARD_SCREENSHOTS when set (to keep and look at them), otherwise
 * a temp dir removed after the run. Never inside the repository.
 */
export function screenshotDir(): string {
  // Call at describe level: tempDir's cleanup then runs after the whole suite.
  const dir = process.env.DASHBOARD_SCREENSHOTS ?? tempDir('calltrack-shots-');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Full-page screenshots of the current page at desktop and phone width. */
export async function screenshotBoth(page: Page, dir: string, name: string): Promise<void> {
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    // A resize re-lays the page out (the chart redraws at the new width): settle first.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    // Phone shots stop after two screens: a taller image is shrunk past reading when viewed.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    const clip = { x: 0, y: 0, width: size.width, height: label === 'phone' ? Math.min(height, size.height * 2) : height };
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: true, clip });
  }
  await page.setViewportSize(DESKTOP);
}

/** A valid PCM WAV (mono, 16-bit) of a `seconds`-long 440 Hz tone. */
export function toneWav(seconds: number, sampleRate = 8000): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / sampleRate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
