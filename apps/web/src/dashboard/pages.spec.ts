import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AccountPage } from './pages/account.js';
import { EmailsPage } from './pages/emails.js';
import { LivePage } from './pages/live.js';
import { LoginPage } from './pages/login.js';
import { SystemPage } from './pages/system.js';
import { UsersPage } from './pages/users.js';
import { VerificationPage } from './pages/verification.js';
import { VideoPage } from './pages/video.js';
import { VideosPage } from './pages/videos.js';

/** First render of every page (no effects run on the server): what a person sees while data loads. */
describe('dashboard pages', () => {
  describe('first render', () => {
    it('shows the sign-in form with both methods', () => {
      const html = renderToString(createElement(LoginPage, { onSignedIn: () => undefined }));
      expect(html).toContain('Username or e-mail');
      expect(html).toContain('Password');
      expect(html).toContain('Face');
    });

    it.each([
      ['users', UsersPage, 'Loading users'],
      ['verification', VerificationPage, 'Loading the queue'],
      ['system', SystemPage, 'Checking the services'],
      ['account', AccountPage, 'Identity verification'],
      ['live', LivePage, 'Connecting to the live feed'],
    ] as const)('renders the %s page in its loading state', (_name, Page, text) => {
      expect(renderToString(createElement(Page))).toContain(text);
    });

    it('renders the e-mail log in its loading state', () => {
      expect(renderToString(createElement(EmailsPage, { eventId: undefined }))).toContain('Loading e-mails');
    });

    const me = { userId: 'u1', role: 'user', username: 'ana' } as const;
    it('renders the videos page: the upload form, the list loading', () => {
      const html = renderToString(createElement(VideosPage, { me }));
      expect(html).toContain('Video file');
      expect(html).toContain('Upload and analyse');
      expect(html).toContain('Loading videos');
    });

    it('renders a video page in its loading state', () => {
      expect(renderToString(createElement(VideoPage, { videoId: 'v1', me }))).toContain('Loading the video');
    });
  });
});
