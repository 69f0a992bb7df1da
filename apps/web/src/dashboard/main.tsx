import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, whenSignedOut } from './api.js';
import { adoptPathRoute, navigate, useRoute } from './hooks.js';
import { AccountPage } from './pages/account.js';
import { EmailsPage } from './pages/emails.js';
import { LivePage } from './pages/live.js';
import { LoginPage } from './pages/login.js';
import { SystemPage } from './pages/system.js';
import { UserPage } from './pages/user.js';
import { UsersPage } from './pages/users.js';
import { VerificationPage } from './pages/verification.js';
import { VideoPage } from './pages/video.js';
import { VideosPage } from './pages/videos.js';
import { Loading } from './ui.js';
import './styles.css';

export interface Me {
  userId: string;
  role: 'user' | 'admin' | 'master';
  username: string;
}

const ADMIN_NAV = [
  ['users', 'Users'],
  ['verification', 'Verification'],
  ['live', 'Live logins'],
  ['emails', 'E-mails'],
  ['system', 'System'],
  ['videos', 'Videos'],
  ['account', 'My account'],
] as const;
const USER_NAV = [
  ['account', 'My account'],
  ['videos', 'Videos'],
] as const;

/** Routes that survive signing in (a link from an e-mail to a video opens it after the sign-in). */
const KEEP_AFTER_SIGN_IN = /^#\/videos(\/|$)/;

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);
  const route = useRoute();

  const loadMe = useCallback(async () => {
    try {
      const who = await api.auth.whoami.query();
      const { user } = await api.me.profile.query();
      setMe({ userId: who.userId, role: who.role, username: user.username });
    } catch {
      setMe(null);
    }
  }, []);

  useEffect(() => {
    void loadMe();
    whenSignedOut(() => setMe(null));
  }, [loadMe]);

  useEffect(() => setMenuOpen(false), [route.join('/')]);

  if (me === undefined) return <Loading what="Starting" />;
  if (me === null)
    return (
      <LoginPage
        onSignedIn={() =>
          void loadMe().then(() => {
            if (!KEEP_AFTER_SIGN_IN.test(window.location.hash)) navigate('/');
          })
        }
      />
    );

  const admin = me.role !== 'user';
  const nav = admin ? ADMIN_NAV : USER_NAV;
  const page = route[0] ?? (admin ? 'users' : 'account');
  const logout = async () => {
    await api.auth.logout.mutate().catch(() => undefined);
    setMe(null);
    navigate('/');
  };

  let content;
  if (page === 'videos' && route[1]) content = <VideoPage videoId={route[1]} me={me} />;
  else if (page === 'videos') content = <VideosPage me={me} />;
  else if (!admin || page === 'account') content = <AccountPage />;
  else if (page === 'users' && route[1]) content = <UserPage userId={route[1]} me={me} />;
  else if (page === 'users') content = <UsersPage />;
  else if (page === 'verification') content = <VerificationPage />;
  else if (page === 'live') content = <LivePage />;
  else if (page === 'emails') content = <EmailsPage eventId={route[1]} />;
  else if (page === 'system') content = <SystemPage />;
  else content = <UsersPage />;

  return (
    <div className="shell">
      <header className="topbar">
        <button className="menu-button" aria-label="Menu" onClick={() => setMenuOpen((open) => !open)}>
          ☰
        </button>
        <strong className="brand">Guardian</strong>
        <span className="who">
          {me.username} <span className="muted">({me.role})</span>
        </span>
        <button className="secondary" onClick={() => void logout()}>
          Sign out
        </button>
      </header>
      <nav className={menuOpen ? 'sidebar open' : 'sidebar'}>
        {nav.map(([key, label]) => (
          <a key={key} href={`#/${key}`} className={page === key ? 'active' : ''}>
            {label}
          </a>
        ))}
      </nav>
      <main className="content">{content}</main>
    </div>
  );
}

adoptPathRoute();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
