// A headless Chromium for the browser tests: Debian's package, installed with apt-get when
// missing (as the stack installs PostgreSQL), driven by playwright-core, which ships no browser.
import { chromium, type Browser } from 'playwright-core';
import { ensureDebianPackage } from './debian-package.js';

const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  ensureDebianPackage(CHROMIUM, 'chromium');
  // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
