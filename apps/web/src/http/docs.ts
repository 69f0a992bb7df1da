/**
 * The interactive API docs at /api/docs: a small self-contained page (no CDN, no inline script, so
 * the strict CSP holds) that renders /api/openapi.json and sends requests from the browser.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guardian API</title>
<link rel="stylesheet" href="/api/docs.css">
</head>
<body>
<header><h1>Guardian API</h1><p id="description"></p>
<label>Bearer token <input id="token" placeholder="paste accessToken from /api/auth/login" autocomplete="off"></label></header>
<main id="operations"><p>Loading the API description…</p></main>
<script src="/api/docs.js"></script>
</body>
</html>`;

export const DOCS_CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b2430;background:#f5f7fa}
header{background:#17324d;color:#fff;padding:16px 24px}header h1{margin:0 0 4px}header p{margin:0 0 8px;opacity:.85;max-width:70em}
header input{width:min(520px,90vw);padding:6px;border-radius:4px;border:0;margin-left:8px}
main{padding:16px 24px;max-width:1100px}
details{background:#fff;border:1px solid #d9e0e8;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:center}
.m{font-weight:700;min-width:64px;text-align:center;border-radius:4px;color:#fff;padding:2px 6px;font-size:13px}
.GET{background:#2f7d32}.POST{background:#1565c0}.PUT{background:#8e6a00}.PATCH{background:#6a4c93}.DELETE{background:#b3261e}
.path{font-family:ui-monospace,monospace}.lock{margin-left:auto;opacity:.6}
.body{padding:8px 12px;border-top:1px solid #eef1f5}
textarea{width:100%;min-height:120px;font-family:ui-monospace,monospace}
pre{background:#0f1b28;color:#d7e3f0;padding:8px;border-radius:4px;overflow:auto;max-height:360px}
button{background:#17324d;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
h2{font-size:18px;margin:24px 0 4px;text-transform:capitalize}
`;

export const DOCS_JS = `
(async function () {
  const root = document.getElementById('operations');
  const doc = await (await fetch('/api/openapi.json')).json();
  document.getElementById('description').textContent = doc.info.description;
  root.textContent = '';
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ||= []).push({ path, method: method.toUpperCase(), op });
  const example = (schema) => {
    if (!schema) return undefined;
    if (schema.allOf) return Object.assign({}, ...schema.allOf.map(example));
    if (schema.anyOf) return example(schema.anyOf[0]);
    if (schema.default !== undefined) return schema.default;
    if (schema.type === 'object') { const o = {}; for (const [k, v] of Object.entries(schema.properties || {})) o[k] = example(v); return o; }
    if (schema.type === 'array') return [];
    if (schema.enum) return schema.enum[0];
    if (schema.type === 'boolean') return false;
    if (schema.type === 'number' || schema.type === 'integer') return 0;
    return '';
  };
  for (const [tag, items] of Object.entries(byTag)) {
    const h = document.createElement('h2'); h.textContent = tag; root.append(h);
    for (const { path, method, op } of items) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      s.innerHTML = '<span class="m ' + method + '">' + method + '</span><span class="path"></span><span class="sum"></span>' + (op.security && op.security.length ? '<span class="lock">🔒 Bearer</span>' : '');
      s.querySelector('.path').textContent = path; s.querySelector('.sum').textContent = op.summary;
      const body = document.createElement('div'); body.className = 'body';
      const params = (op.parameters || []);
      const inputs = {};
      for (const p of params) {
        const l = document.createElement('label'); l.textContent = p.name + ' (' + p.in + ') ';
        const i = document.createElement('input'); inputs[p.name] = i; l.append(i); body.append(l, document.createElement('br'));
      }
      const json = op.requestBody && op.requestBody.content['application/json'];
      const multipart = op.requestBody && op.requestBody.content['multipart/form-data'];
      let ta, fileInputs = {};
      if (json) { ta = document.createElement('textarea'); ta.value = JSON.stringify(example(json.schema), null, 2); body.append(ta); }
      if (multipart) {
        const note = document.createElement('p'); note.textContent = 'Or send files (multipart): choosing a file sends multipart with the JSON fields above as text fields.'; body.append(note);
        for (const [name, prop] of Object.entries(multipart.schema.properties)) {
          if (prop.format !== 'binary' && !(prop.items && prop.items.format === 'binary')) continue;
          const l = document.createElement('label'); l.textContent = name + ' ';
          const f = document.createElement('input'); f.type = 'file'; f.multiple = prop.type === 'array'; fileInputs[name] = f; l.append(f); body.append(l, document.createElement('br'));
        }
      }
      const btn = document.createElement('button'); btn.textContent = 'Send';
      const out = document.createElement('pre'); out.hidden = true;
      btn.onclick = async () => {
        let url = path; const query = new URLSearchParams();
        for (const p of params) { const v = inputs[p.name].value; if (!v) continue; if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v)); else query.set(p.name, v); }
        if ([...query].length) url += '?' + query;
        const headers = {}; const token = document.getElementById('token').value.trim(); if (token) headers.authorization = 'Bearer ' + token;
        let payload;
        const files = Object.entries(fileInputs).filter(([, f]) => f.files.length);
        if (files.length) {
          payload = new FormData();
          try { for (const [k, v] of Object.entries(JSON.parse(ta ? ta.value : '{}'))) if (v !== '' && typeof v !== 'object') payload.append(k, String(v)); } catch {}
          for (const [name, f] of files) for (const file of f.files) payload.append(name, file);
        } else if (ta) { headers['content-type'] = 'application/json'; payload = ta.value; }
        out.hidden = false; out.textContent = '…';
        const started = performance.now();
        try {
          const r = await fetch(url, { method, headers, body: payload });
          const text = await r.text();
          let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
          out.textContent = r.status + ' ' + r.statusText + ' (' + Math.round(performance.now() - started) + ' ms)\\n' + shown;
          if (path === '/api/auth/login' && r.ok) { try { document.getElementById('token').value = JSON.parse(text).accessToken || ''; } catch {} }
        } catch (e) { out.textContent = String(e); }
      };
      body.append(btn, out); d.append(s, body); root.append(d);
    }
  }
})();
`;
