import { useState, type FormEvent } from 'react';
import { api, describeError, type RouterOutputs } from '../api.js';
import { useLoad } from '../hooks.js';
import { Badge, Empty, ErrorNote, Loading, roleTone, Section, statusTone } from '../ui.js';

type Row = RouterOutputs['admin']['users']['list']['users'][number];
type Role = 'user' | 'admin' | 'master';

function CreateUser({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const [form, setForm] = useState({
    username: '',
    email: '',
    fullName: '',
    password: '',
    role: 'user' as Role,
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.admin.users.create.mutate(form);
      setForm({ username: '', email: '', fullName: '', password: '', role: 'user' });
      onCreated();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="grid-form" onSubmit={(e) => void submit(e)} aria-label="New user">
      <input
        name="username"
        placeholder="Username"
        required
        value={form.username}
        onChange={set('username')}
      />
      <input
        name="email"
        type="email"
        placeholder="E-mail"
        required
        value={form.email}
        onChange={set('email')}
      />
      <input name="fullName" placeholder="Full name" value={form.fullName} onChange={set('fullName')} />
      <input
        name="password"
        type="password"
        placeholder="Initial password"
        required
        value={form.password}
        onChange={set('password')}
      />
      <select name="role" value={form.role} onChange={set('role')}>
        {roles.map((role) => (
          <option key={role}>{role}</option>
        ))}
      </select>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create user'}
      </button>
      {error && <ErrorNote message={error} />}
    </form>
  );
}

export function UsersPage() {
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<'' | Role>('');
  const [status, setStatus] = useState<'' | 'active' | 'disabled' | 'pending_enrollment'>('');
  const [pages, setPages] = useState<string[]>(['']);
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const pageToken = pages.at(-1)!;
  const list = useLoad(
    () => api.admin.users.list.query({ query: search, role, status, pageSize: 10, pageToken }),
    [search, role, status, pageToken],
  );

  const act = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      list.reload();
    } catch (failure) {
      setActionError(describeError(failure));
    }
  };
  const actions = (user: Row) => (
    <div className="row-actions">
      <button
        className="small secondary"
        disabled={!user.allowed.update}
        title={user.allowed.update ? '' : 'Your role does not allow this'}
        onClick={() =>
          void act(() =>
            api.admin.users.update.mutate({
              userId: user.id,
              status: user.status === 'disabled' ? 'active' : 'disabled',
            }),
          )
        }
      >
        {user.status === 'disabled' ? 'Enable' : 'Disable'}
      </button>
      <button
        className="small secondary"
        disabled={!user.allowed.unlock || !user.lockedUntil}
        onClick={() => void act(() => api.admin.users.unlock.mutate({ userId: user.id }))}
      >
        Unlock
      </button>
      <button
        className="small danger"
        disabled={!user.allowed.delete}
        onClick={() =>
          window.confirm(`Delete ${user.username}? This cannot be undone.`) &&
          void act(() => api.admin.users.delete.mutate({ userId: user.id }))
        }
      >
        Delete
      </button>
    </div>
  );

  return (
    <Section
      title="Users"
      actions={
        <button onClick={() => setCreating((c) => !c)} disabled={!list.data?.creatableRoles.length}>
          {creating ? 'Close' : 'New user'}
        </button>
      }
    >
      {creating && list.data && (
        <CreateUser
          roles={list.data.creatableRoles}
          onCreated={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPages(['']);
          setSearch(query);
        }}
      >
        <input
          type="search"
          placeholder="Search name, username or e-mail"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          aria-label="Search"
        />
        <select
          value={role}
          onChange={(e) => (setRole(e.target.value as Role | ''), setPages(['']))}
          aria-label="Role"
        >
          <option value="">All roles</option>
          <option>user</option>
          <option>admin</option>
          <option>master</option>
        </select>
        <select
          value={status}
          onChange={(e) => (setStatus(e.target.value as typeof status), setPages(['']))}
          aria-label="Status"
        >
          <option value="">All statuses</option>
          <option value="active">active</option>
          <option value="disabled">disabled</option>
          <option value="pending_enrollment">pending enrollment</option>
        </select>
        <button type="submit" className="secondary">
          Search
        </button>
      </form>
      {actionError && <ErrorNote message={actionError} />}
      {list.loading && !list.data && <Loading what="Loading users" />}
      {list.error && <ErrorNote message={list.error} retry={list.reload} />}
      {list.data && list.data.users.length === 0 && <Empty>No users match.</Empty>}
      {list.data && list.data.users.length > 0 && (
        <div className="table-wrap">
          <table className="users">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Status</th>
                <th>Verified</th>
                <th>Face</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.users.map((user) => (
                <tr key={user.id} data-username={user.username}>
                  <td>
                    <a href={`#/users/${user.id}`}>{user.fullName || user.username}</a>
                    <div className="muted small-text">
                      {user.username} · {user.email}
                    </div>
                  </td>
                  <td>
                    <Badge tone={roleTone(user.role)}>{user.role}</Badge>
                  </td>
                  <td>
                    <Badge tone={statusTone(user.status)}>{user.status.replace('_', ' ')}</Badge>
                    {user.lockedUntil && <Badge tone="red">locked</Badge>}
                  </td>
                  <td>
                    {user.verified ? <Badge tone="green">verified</Badge> : <span className="muted">no</span>}
                  </td>
                  <td>
                    {user.faceEnrolled ? (
                      <Badge tone="blue">enrolled</Badge>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{actions(user)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && (
        <div className="pager">
          <button
            className="secondary"
            disabled={pages.length === 1}
            onClick={() => setPages((p) => p.slice(0, -1))}
          >
            Previous
          </button>
          <span className="muted">
            Page {pages.length} · {list.data.totalSize} users
          </span>
          <button
            className="secondary"
            disabled={!list.data.nextPageToken}
            onClick={() => setPages((p) => [...p, list.data!.nextPageToken])}
          >
            Next
          </button>
        </div>
      )}
    </Section>
  );
}
