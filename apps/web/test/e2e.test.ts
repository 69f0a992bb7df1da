import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@guardian/testkit';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildDashboard } from './dashboard-build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures } from '../../biometrics/test/fixtures/faces.js';
import { facePhoto } from './faces.js';
import { MASTER, newUser, startMesh, type Mesh } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = join(REPO_ROOT, '.test-output', 'screenshots');

/** A browser with a fresh profile (its own cookie jar), as a separate person would have. */
async function browser(
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; page: Page; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: run scripts/provision.sh --browser`);
  const profile = await mkdtemp(join(tmpdir(), 'guardian-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', ...FLAGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(page: Page, identifier: string, password: string): Promise<void> {
  await page.getByLabel('Username or e-mail').fill(identifier);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Debian's Chromium is provisioned by `scripts/provision.sh --browser` (npm test runs it first); a
 * missing browser fails the suite with that advice rather than skipping it.
 */

describe('dashboard', () => {
  let mesh: Mesh;

  beforeAll(async () => {
    await buildDashboard(); // before web starts: it serves what is built when it boots
    // The production defaults: face sign-in and enrollment need the camera check.
    mesh = await startMesh({ liveness: true });
  }, 240_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('is served by the BFF: index.html for client routes, hashed assets, no inline script (CSP)', async () => {
    for (const path of ['/', '/users/abc']) {
      const page = await fetch(`${mesh.baseUrl}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toContain('<div id="root">');
      expect(html).not.toMatch(/<script>/);
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeTruthy();
      const asset = await fetch(`${mesh.baseUrl}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
    }
    expect((await fetch(`${mesh.baseUrl}/assets/missing.js`)).status).toBe(404);
  });

  describe('in Chromium', () => {
    let admin: Awaited<ReturnType<typeof browser>>;
    let person: Awaited<ReturnType<typeof browser>>;

    beforeAll(async () => {
      await mkdir(SHOTS, { recursive: true });
      admin = await browser();
      person = await browser();
    }, 60_000);

    afterAll(async () => {
      await admin?.close();
      await person?.close();
    });

    it('master signs in, creates a user, watches its failed login live, approves its document and signs out', async () => {
      const user = newUser();
      const a = admin.page;
      const b = person.page;

      await a.goto(mesh.baseUrl);
      await expect.poll(() => a.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
      await shot(a, '01-login');
      await signIn(a, MASTER.username, MASTER.password);
      await a.locator(`tr[data-username="${MASTER.username}"]`).waitFor();
      await shot(a, '02-users');

      // Create a user.
      await a.getByRole('button', { name: 'New user' }).click();
      const form = a.getByRole('form', { name: 'New user' });
      await form.getByPlaceholder('Username').fill(user.username);
      await form.getByPlaceholder('E-mail').fill(user.email);
      await form.getByPlaceholder('Full name').fill(user.fullName);
      await form.getByPlaceholder('Initial password').fill(user.password);
      await form.getByRole('button', { name: 'Create user' }).click();
      const row = a.locator(`tr[data-username="${user.username}"]`);
      await row.waitFor();
      expect(await row.getByRole('button', { name: 'Delete' }).isEnabled()).toBe(true);
      expect(
        await a
          .locator(`tr[data-username="${MASTER.username}"]`)
          .getByRole('button', { name: 'Delete' })
          .isEnabled(),
      ).toBe(false);
      await shot(a, '03-user-created');

      // Watch the live feed while the user fails to sign in elsewhere.
      await a.getByRole('link', { name: 'Live logins', exact: true }).click();
      await a.locator('.live-state[data-state="live"]').waitFor();
      await b.goto(mesh.baseUrl);
      await signIn(b, user.username, 'not my password');
      await b.getByRole('alert').waitFor();
      expect(await b.getByRole('alert').textContent()).toContain('username or password is not right');
      await shot(b, '04-failed-login');
      const live = a.locator(`tr[data-identifier="${user.username}"][data-outcome="failed"]`);
      await live.waitFor({ timeout: 20_000 });
      await shot(a, '05-live-feed');

      // The user signs in and submits a document.
      await signIn(b, user.username, user.password);
      await b.getByRole('heading', { name: 'Identity verification' }).waitFor();
      await b.getByLabel('Document type').selectOption('passport');
      await b.getByLabel('Document file').setInputFiles((await facePhoto('alice')).file);
      await b.getByRole('button', { name: 'Send document' }).click();
      await b.locator('[data-document-status="pending"]').waitFor();
      await shot(b, '06-document-submitted');

      // The master reviews it.
      await a.getByRole('link', { name: 'Verification', exact: true }).click();
      const item = a.locator(`article[data-username="${user.username}"]`);
      await item.waitFor();
      await item.getByRole('button', { name: 'Preview' }).click();
      await item.getByRole('img', { name: 'Document' }).waitFor();
      await shot(a, '07-verification-queue');
      await item.getByRole('button', { name: 'Approve' }).click();
      await a.getByText('Document approved').waitFor();
      await expect.poll(() => item.count()).toBe(0);
      await shot(a, '08-document-approved');

      await b.reload();
      await b.locator('[data-document-status="approved"]').waitFor();

      // User detail, e-mails, system status.
      await a.getByRole('link', { name: 'Users', exact: true }).click();
      await a.getByRole('link', { name: user.fullName }).click();
      await a.getByRole('heading', { name: 'Recent login attempts' }).waitFor();
      await a.getByText('INVALID_CREDENTIALS').first().waitFor();
      await a.getByRole('heading', { name: 'Sessions' }).waitFor();
      await shot(a, '09-user-detail');
      await a.getByRole('link', { name: 'E-mails', exact: true }).click();
      await a.getByRole('heading', { name: 'E-mail log' }).waitFor();
      await a.locator('table tbody tr, .empty').first().waitFor();
      await shot(a, '10-emails');
      if (await a.locator('table tbody tr a').count()) {
        await a.locator('table tbody tr a').first().click();
        await a.locator('iframe.email-frame, .empty').first().waitFor();
        await shot(a, '11-email-message');
      }
      await a.getByRole('link', { name: 'System', exact: true }).click();
      await a.locator('[data-service="identity"]').waitFor();
      expect(await a.locator('[data-service="identity"]').textContent()).toContain('SERVING');
      await shot(a, '12-system');

      // Phone width.
      await a.setViewportSize({ width: 390, height: 844 });
      await a.getByRole('button', { name: 'Menu' }).click();
      await a.getByRole('link', { name: 'Users', exact: true }).click();
      await a.locator(`tr[data-username="${user.username}"]`).waitFor();
      await shot(a, '13-users-phone');
      await a.setViewportSize({ width: 1280, height: 800 });

      // Sign out: back to the sign-in page, and the session is gone.
      await a.getByRole('button', { name: 'Sign out' }).click();
      await a.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      await a.reload();
      await a.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      await shot(a, '14-signed-out');

      await a.goto(`${mesh.baseUrl}/api/docs`);
      // Swagger UI (swagger-ui-dist, served locally) renders the operations under the strict CSP.
      await a.locator('.opblock-summary-path[data-path="/api/user/face/register"]').first().waitFor();
      await a.locator('.opblock-summary-path[data-path="/api/admin/users"]').first().waitFor();
      await shot(a, '15-api-docs');
    });

    /**
     * The camera is Chromium's fake device playing a y4m made here with ffmpeg from one still photo:
     * the check runs its prompts, sends the frames, and the page says the moves were not seen.
     */
    it('face sign-in with the camera: a still photo as the camera fails the check, with keyboard only', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'guardian-camera-'));
      const fx = await loadFixtures();
      const y4m = join(dir, 'still.y4m');
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-loop',
        '1',
        '-i',
        fx.people.find((p) => p.id === 's5-f0')!.file,
        '-t',
        '2',
        '-r',
        '10',
        '-vf',
        'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
        '-f',
        'yuv4mpegpipe',
        y4m,
      ]);
      const camera = await browser([
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${y4m}`,
      ]);
      try {
        const page = camera.page;
        await page.goto(mesh.baseUrl);
        await page.getByRole('tab', { name: 'Face' }).click();
        await page.getByLabel('Username or e-mail (optional)').fill(newUser().username);
        const start = page.getByRole('button', { name: 'Sign in with the camera' });
        await start.focus();
        await page.keyboard.press('Enter');
        // The prompts run (announced as a status), then the answer.
        await expect
          .poll(() => page.getByRole('status').first().textContent(), { timeout: 20_000 })
          .toMatch(/Look at the camera|Turn your head|Look up|Look down|Close your eyes/);
        await shot(page, '16-camera-check');
        const alert = page.getByRole('alert');
        await alert.waitFor({ timeout: 60_000 });
        expect(await alert.textContent()).toContain('The moves were not seen');
        await shot(page, '17-camera-check-failed');
        // Still on the sign-in page, the check can be started again.
        expect(await start.isVisible()).toBe(true);
      } finally {
        await camera.close();
        await rm(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('tells what to do when there is no camera', async () => {
      const fresh = await browser();
      const page = fresh.page;
      await page.goto(mesh.baseUrl);
      await page.getByRole('tab', { name: 'Face' }).click();
      await page.getByRole('button', { name: 'Sign in with the camera' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 20_000 });
      expect(await alert.textContent()).toMatch(/No camera was found|Camera access was refused/);
      expect(await alert.textContent()).toMatch(/try again|password/i);
      await shot(page, '18-no-camera');
      await fresh.close();
    });
  });
});
