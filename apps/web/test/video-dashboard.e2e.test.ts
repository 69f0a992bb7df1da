/**
 * The video pages in Chromium against the whole mesh as processes: a user signs in through the page,
 * uploads a clip made here with ffmpeg from face-api's demo photos (person A, nobody, person B)
 * through the file input, the upload loses its connection twice and resumes (HEAD, then on from the
 * server's Upload-Offset), and the result page follows the analysis live to `done` and shows the
 * summary, two people and the expression chart. The e-mail link form (`/videos/<id>`) opens the same
 * page; the video is deleted at the end.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@guardian/testkit';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { buildDashboard } from './dashboard-build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtures } from '../../biometrics/test/fixtures/faces.js';
import { makeVideo } from '../../biometrics/test/fixtures/video.js';
import { trpcClient } from './client.js';
import { newUser, startMesh, type Mesh } from './harness.js';

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

/** What the checks read of an image and a canvas in the page (this tsconfig has no DOM types). */
interface PageImage {
  naturalWidth: number;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('video dashboard', () => {
  let mesh: Mesh;
  let dir: string;
  let clip: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: run scripts/provision.sh --browser`);
    dir = await mkdtemp(join(tmpdir(), 'guardian-video-dashboard-'));
    const dashboard = join(dir, 'dashboard');
    const fx = await loadFixtures();
    const a = fx.people[0]!;
    const b = fx.people.find((p) => p.id === 's3-f0') ?? fx.people.find((p) => p.source !== a.source)!;
    // A: 0-2 s, nobody: 2-4 s, B: 4-6 s.
    [clip] = await Promise.all([
      makeVideo(join(dir, 'two people.mp4'), [
        { image: a.file, seconds: 2 },
        { seconds: 2 },
        { image: b.file, seconds: 2 },
      ]),
      buildDashboard(dashboard), // before web starts: it serves what is built when it boots
    ]);
    mesh = await startMesh({
      biometrics: { BIOMETRICS_INFERENCE_WORKERS: '1' },
      web: { WEB_DASHBOARD_DIR: dashboard },
    });
    await mkdir(SHOTS, { recursive: true });
    profile = join(dir, 'chromium-profile');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', ...FLAGS],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await mesh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads a clip through the page, resumes after dropped connections, and shows the summary, two people and the chart', async () => {
    const user = newUser();
    await trpcClient(mesh.baseUrl).auth.register.mutate(user);

    // Sign in through the page.
    await page.goto(mesh.baseUrl);
    await page.getByLabel('Username or e-mail').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: 'Videos', exact: true }).click();
    await page.getByRole('heading', { name: 'Analyse a video' }).waitFor();
    await page.getByText('No videos yet').waitFor();

    // The network drops twice: the first PATCH never reaches the server; the second reaches it
    // whole but its answer is lost. Each time the page asks where the server stands (HEAD) and goes on.
    const seen: string[] = [];
    let patches = 0;
    await page.route('**/api/videos/uploads/**', async (route: Route) => {
      const method = route.request().method();
      seen.push(method);
      if (method !== 'PATCH') return route.continue();
      patches += 1;
      if (patches === 1) return route.abort('connectionreset');
      if (patches === 2) {
        const response = await route.fetch();
        seen.push(`(server answered ${response.status()} at ${response.headers()['upload-offset']})`);
        return route.abort('connectionreset');
      }
      return route.continue();
    });

    // Upload through the file input (keyboard: the button is focused and pressed).
    await page.getByLabel('Video file').setInputFiles(clip);
    const upload = page.getByRole('button', { name: 'Upload and analyse' });
    await upload.focus();
    await page.keyboard.press('Enter');

    // The result page: followed live until the analysis is done.
    await page.waitForURL(/#\/videos\/[^/]+$/, { timeout: 60_000 });
    const videoId = decodeURIComponent(new URL(page.url()).hash.split('/').pop()!);
    await page.locator('[data-video-state]').waitFor();
    await shot(page, 'video-01-processing');
    await page.locator('[data-video-state="done"]').waitFor({ timeout: 180_000 });
    await page.unroute('**/api/videos/uploads/**');

    // Resumed: two dropped PATCHes, a HEAD after each, no third PATCH needed (the second one's bytes arrived).
    expect(seen.filter((m) => m === 'HEAD').length, seen.join(' ')).toBeGreaterThanOrEqual(2);
    expect(seen.indexOf('HEAD'), seen.join(' ')).toBeGreaterThan(seen.indexOf('PATCH'));
    expect(patches, seen.join(' ')).toBe(2);
    expect(seen.join(' ')).toMatch(/server answered 204/);

    // Summary: two people, about 2 s without a face.
    const summary = page.getByTestId('video-summary');
    await summary.waitFor();
    expect(await page.locator('[data-summary="people"]').textContent()).toBe('2');
    const withoutFace = parseFloat((await page.locator('[data-summary="without-face"]').textContent()) ?? '');
    expect(withoutFace).toBeGreaterThanOrEqual(1);
    expect(withoutFace).toBeLessThanOrEqual(3);
    expect(Number(await page.locator('[data-summary="frames"]').textContent())).toBeGreaterThanOrEqual(10);
    expect((await page.locator('[data-summary="dominant"]').textContent())?.trim()).toMatch(
      /^(neutral|happy|sad|angry|fearful|disgusted|surprised)$/,
    );
    expect(await page.locator('table.distribution tbody tr').count()).toBe(7);

    // One card per person, each with its face (a decoded JPEG).
    const cards = page.locator('article.track');
    expect(await cards.count()).toBe(2);
    for (const card of await cards.all()) {
      const image = card.locator('img.track-face');
      await expect
        .poll(() => image.evaluate((img) => (img as unknown as PageImage).naturalWidth))
        .toBeGreaterThan(0);
      expect(await card.textContent()).toMatch(/Mostly \w+/);
    }

    // The chart: a canvas of real size with something drawn on it, a caption, one series per expression.
    const canvas = page.locator('.chart-canvas canvas').first();
    await canvas.waitFor({ timeout: 30_000 });
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(box?.height).toBeGreaterThan(100);
    const inked = await canvas.evaluate((element) => {
      const chart = element as unknown as PageCanvas;
      const pixels = chart.getContext('2d').getImageData(0, 0, chart.width, chart.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) count++;
      return count;
    });
    expect(inked).toBeGreaterThan(500);
    const figure = page.locator('figure.chart');
    expect(await figure.locator('figcaption').textContent()).toContain('Person 1');
    expect(await page.locator('.u-legend .u-series').count()).toBe(8); // time + 7 expressions
    await shot(page, 'video-02-done');

    // The other person, chosen with the selector; the scores as a table, opened with the keyboard.
    const first = await figure.getAttribute('data-track-id');
    const select = page.getByLabel('Person', { exact: true });
    await select.selectOption({ index: 1 });
    await expect.poll(() => figure.getAttribute('data-track-id')).not.toBe(first);
    expect(await figure.locator('figcaption').textContent()).toContain('Person 2');
    await figure.locator('summary').focus();
    await page.keyboard.press('Enter');
    const rows = figure.locator('table tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    await shot(page, 'video-03-second-person');

    // Listed as done.
    await page.getByRole('link', { name: '← Videos' }).click();
    await page.locator(`tr[data-video-id="${videoId}"][data-state="done"]`).waitFor();
    await shot(page, 'video-04-list');

    // The e-mail's link form opens the result page.
    await page.goto(`${mesh.baseUrl}/videos/${encodeURIComponent(videoId)}`);
    await page.locator('[data-video-state="done"]').waitFor();
    await page.locator('.chart-canvas canvas').first().waitFor();

    // Delete, confirmed.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { name: 'My videos' }).waitFor();
    await page.getByText('No videos yet').waitFor();
  }, 300_000);
});
