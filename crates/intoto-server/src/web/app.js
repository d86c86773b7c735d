// The intoto store page: search the store by digest (typed, or computed
// here from a file), read what each attestation says and who signed it,
// and verify a subject against a configured layout or policy.
//
// Everything the store returns is treated as hostile: text goes into the
// page with textContent only, never as markup. The verification report is
// the one HTML page the server renders itself; it is drawn in a sandboxed
// frame where no script runs.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  const PAGE_SIZE = 50;
  const HEX64 = /^[0-9a-fA-F]{64}$/;
  const DIGEST = /^([a-z0-9][a-z0-9_-]*):([0-9a-fA-F]+)$/;

  const state = {
    digest: null, // "alg:hex" of the current search
    mode: 'subject', // "subject" or "material"
    next: null, // cursor of the next page
    shown: 0,
    selected: null, // the <li> whose content is shown
    generation: 0, // bumps on each search, so late answers are dropped
    detailRequest: 0,
    verifyRequest: 0,
  };

  // ---- small helpers ------------------------------------------------------

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function short(keyid) {
    return typeof keyid === 'string' ? keyid.slice(0, 8) : '?';
  }

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function asText(v) {
    if (typeof v === 'string') return v;
    if (v === undefined) return '';
    try {
      return JSON.stringify(v);
    } catch (_) {
      return String(v);
    }
  }

  function pretty(v) {
    try {
      return JSON.stringify(v, null, 2);
    } catch (_) {
      return String(v);
    }
  }

  function formatTime(iso) {
    if (typeof iso !== 'string') return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  }

  function formatSize(n) {
    if (typeof n !== 'number') return '';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  /** "sha256:HEX" from what was typed (bare 64 hex digits are sha256), or null. */
  function normalizeDigest(text) {
    const t = text.trim();
    if (HEX64.test(t)) return `sha256:${t.toLowerCase()}`;
    const m = DIGEST.exec(t);
    if (!m) return null;
    return `${m[1].toLowerCase()}:${m[2].toLowerCase()}`;
  }

  /** The message of an API error answer, or a description of the failure. */
  async function failure(response) {
    let text = '';
    try {
      text = await response.text();
      const body = JSON.parse(text);
      if (isObject(body) && isObject(body.error) && typeof body.error.message === 'string') {
        const code = typeof body.error.code === 'string' ? ` (${body.error.code})` : '';
        return `${body.error.message}${code}`;
      }
    } catch (_) {
      // Not the error envelope: fall through.
    }
    return `the store answered ${response.status} ${response.statusText}`.trim();
  }

  async function getJson(url, options) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: 'application/json' }, ...options });
    } catch (e) {
      throw new Error(`the store cannot be reached: ${e.message}`);
    }
    if (!response.ok) throw new Error(await failure(response));
    return response.json();
  }

  // ---- health -----------------------------------------------------------

  async function loadHealth() {
    const health = $('health');
    try {
      const h = await getJson('/healthz');
      const count = typeof h.attestations === 'number' ? h.attestations : '?';
      clear(health);
      append(health, [
        el('span', { class: 'dot ok', 'aria-hidden': 'true' }),
        el('span', {}, `${asText(h.backend)} store · `, el('strong', { text: String(count) }),
          count === 1 ? ' attestation' : ' attestations'),
      ]);
      health.className = 'health ok';
    } catch (e) {
      clear(health);
      append(health, [el('span', { class: 'dot down', 'aria-hidden': 'true' }), `unavailable: ${e.message}`]);
      health.className = 'health down';
    }
  }

  // ---- search -----------------------------------------------------------

  function showSearchError(message) {
    const error = $('search-error');
    error.textContent = message || '';
    error.hidden = !message;
  }

  function currentMode() {
    return $('mode-material').checked ? 'material' : 'subject';
  }

  function setMode(mode) {
    $(mode === 'material' ? 'mode-material' : 'mode-subject').checked = true;
  }

  function updateUrl() {
    const url = new URL(window.location.href);
    url.searchParams.delete('subject');
    url.searchParams.delete('material');
    if (state.digest) url.searchParams.set(state.mode, state.digest);
    window.history.replaceState(null, '', url.pathname + url.search);
  }

  async function search(digestText, mode) {
    const digest = normalizeDigest(digestText);
    if (!digest) {
      showSearchError('Give a digest as ALGORITHM:HEX (such as sha256:…) or as 64 hex digits.');
      $('digest').focus();
      return;
    }
    showSearchError('');
    $('digest').value = digest;
    state.digest = digest;
    state.mode = mode;
    state.next = null;
    state.shown = 0;
    state.selected = null;
    state.generation += 1;
    updateUrl();
    updateVerifyButton();
    resetDetail();
    resetVerification();
    const results = $('results');
    clear(results);
    results.append(el('li', { class: 'loading', text: 'Searching…' }));
    $('results-summary').textContent = '';
    $('more').hidden = true;
    await loadPage(state.generation, null);
  }

  async function loadPage(generation, after) {
    const params = new URLSearchParams();
    params.set(state.mode, state.digest);
    params.set('limit', String(PAGE_SIZE));
    if (after !== null && after !== undefined) params.set('after', String(after));
    const results = $('results');
    const more = $('more');
    more.disabled = true;
    let page;
    try {
      page = await getJson(`/v1/attestations?${params}`);
    } catch (e) {
      if (generation !== state.generation) return;
      for (const node of results.querySelectorAll('.loading')) node.remove();
      results.append(el('li', { class: 'error', role: 'alert', text: `The search failed: ${e.message}` }));
      more.disabled = false;
      return;
    }
    if (generation !== state.generation) return;
    for (const node of results.querySelectorAll('.loading')) node.remove();
    const items = Array.isArray(page.items) ? page.items : [];
    for (const item of items) {
      if (isObject(item)) results.append(resultItem(item));
    }
    state.shown += items.length;
    state.next = page.next === undefined || page.next === null ? null : page.next;
    if (state.shown === 0) {
      results.append(
        el('li', { class: 'empty' },
          `The store holds no attestation with ${state.mode} `,
          el('code', { text: state.digest }),
          '.'),
      );
    }
    $('results-summary').textContent = state.shown === 0
      ? ''
      : `${state.shown}${state.next !== null ? '+' : ''} with ${state.mode} ${state.digest.slice(0, 15)}…`;
    more.hidden = state.next === null;
    more.disabled = false;
    loadHealth();
  }

  function resultItem(item) {
    const id = typeof item.id === 'string' ? item.id : '';
    const kind = item.kind === 'link' ? 'link' : item.kind === 'statement' ? 'statement' : asText(item.kind);
    let title;
    if (typeof item.step === 'string') title = item.step;
    else if (typeof item.predicateType === 'string') title = item.predicateType;
    else title = typeof item.payloadType === 'string' ? item.payloadType : '(no step or predicate type)';
    const signers = Array.isArray(item.signers) ? item.signers : [];
    const button = el('button', { type: 'button', class: 'result-button', 'aria-expanded': 'false' },
      el('span', { class: 'line1' },
        el('span', { class: `badge kind-${kind === 'link' ? 'link' : 'statement'}`, text: kind }),
        el('span', { class: 'title', text: title })),
      el('span', { class: 'line2' },
        el('span', { class: 'signers' },
          signers.length === 0 ? 'unsigned' : 'signed by ',
          signers.map((k, n) => [n > 0 ? ', ' : null, el('code', { class: 'keyid', title: asText(k), text: short(k) })])),
        el('span', { class: 'when', title: asText(item.storedAt), text: `stored ${formatTime(item.storedAt)}` })),
      el('span', { class: 'line3' },
        el('code', { class: 'id', title: id, text: id }),
        el('span', { class: 'size', text: [asText(item.envelope), formatSize(item.size)].filter(Boolean).join(' · ') })));
    const li = el('li', { class: 'result', 'data-id': id }, button);
    button.addEventListener('click', () => select(li, id));
    return li;
  }

  // ---- one attestation's content ------------------------------------------

  function resetDetail() {
    const detail = $('detail');
    clear(detail);
    detail.append(el('p', { class: 'empty', text: 'Choose an attestation to see what it says and who signed it.' }));
  }

  async function select(li, id) {
    if (state.selected) {
      state.selected.classList.remove('selected');
      const b = state.selected.querySelector('button');
      if (b) b.setAttribute('aria-expanded', 'false');
    }
    state.selected = li;
    li.classList.add('selected');
    const button = li.querySelector('button');
    if (button) button.setAttribute('aria-expanded', 'true');
    const detail = $('detail');
    clear(detail);
    detail.append(el('p', { class: 'loading', text: 'Loading…' }));
    const request = ++state.detailRequest;
    let text;
    try {
      const response = await fetch(`/v1/attestations/${encodeURIComponent(id)}`);
      if (!response.ok) throw new Error(await failure(response));
      text = await response.text();
    } catch (e) {
      if (request !== state.detailRequest) return;
      clear(detail);
      detail.append(el('p', { class: 'error', role: 'alert', text: `It cannot be fetched: ${e.message}` }));
      return;
    }
    if (request !== state.detailRequest) return;
    clear(detail);
    detail.append(renderDocument(id, text));
  }

  function field(dl, name, ...value) {
    dl.append(el('dt', { text: name }), el('dd', {}, ...value));
  }

  function digestList(digests) {
    if (!isObject(digests)) return el('span', { class: 'muted', text: 'no digests' });
    const entries = Object.entries(digests);
    if (entries.length === 0) return el('span', { class: 'muted', text: 'no digests' });
    return el('span', { class: 'digests' },
      entries.map(([alg, hex]) => el('code', { class: 'digest', text: `${alg}:${asText(hex)}` })));
  }

  function section(title, ...children) {
    return el('section', { class: 'part' }, el('h3', { text: title }), ...children);
  }

  function artifactTable(title, artifacts) {
    const entries = isObject(artifacts) ? Object.entries(artifacts) : [];
    const heading = `${title} (${entries.length})`;
    if (entries.length === 0) return section(heading, el('p', { class: 'muted', text: 'none' }));
    return section(heading,
      el('table', { class: 'artifacts' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'name' }), el('th', { scope: 'col', text: 'digest' }))),
        el('tbody', {}, entries.map(([name, digests]) =>
          el('tr', {}, el('td', {}, el('code', { text: name })), el('td', {}, digestList(digests)))))));
  }

  function signatureList(signatures) {
    const list = Array.isArray(signatures) ? signatures : [];
    if (list.length === 0) return section('Signatures (0)', el('p', { class: 'muted', text: 'none' }));
    return section(`Signatures (${list.length})`,
      el('ul', { class: 'signatures' }, list.map((s) => {
        const keyid = isObject(s) ? asText(s.keyid) : '';
        return el('li', {},
          el('code', { class: 'keyid-short', text: short(keyid) }),
          el('code', { class: 'keyid-full', text: keyid || '(no keyid)' }));
      })));
  }

  /** UTF-8 text of standard or URL-safe base64, or null. */
  function decodeBase64(b64) {
    if (typeof b64 !== 'string') return null;
    try {
      let s = b64.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
      while (s.length % 4 !== 0) s += '=';
      const binary = atob(s);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
      return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    } catch (_) {
      return null;
    }
  }

  function renderDocument(id, text) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (_) {
      return el('div', {},
        el('p', { class: 'error', text: 'The stored bytes are not JSON; shown as they are.' }),
        el('pre', { class: 'json', text }));
    }
    const wrap = el('div', { class: 'document' });
    wrap.append(el('p', { class: 'doc-id' }, 'id ', el('code', { text: id })));
    if (isObject(doc) && typeof doc.payload === 'string' && Array.isArray(doc.signatures)) {
      wrap.append(renderEnvelope(doc));
    } else if (isObject(doc) && isObject(doc.signed)) {
      wrap.append(renderLegacy(doc));
    } else {
      wrap.append(section('Document', el('pre', { class: 'json', text: pretty(doc) })));
    }
    return wrap;
  }

  function renderEnvelope(env) {
    const out = el('div');
    const dl = el('dl', { class: 'facts' });
    field(dl, 'envelope', 'DSSE');
    field(dl, 'payload type', el('code', { text: asText(env.payloadType) }));
    out.append(dl);
    const payload = decodeBase64(env.payload);
    if (payload === null) {
      out.append(el('p', { class: 'error', text: 'The payload is not valid base64.' }));
    } else {
      let statement = null;
      try {
        statement = JSON.parse(payload);
      } catch (_) {
        statement = null;
      }
      if (isObject(statement)) out.append(renderStatement(statement, dl));
      else out.append(section('Payload', el('pre', { class: 'json', text: payload })));
    }
    out.append(signatureList(env.signatures));
    return out;
  }

  function renderStatement(st, dl) {
    const out = el('div');
    field(dl, 'statement type', el('code', { text: asText(st._type) }));
    field(dl, 'predicate type', el('code', { class: 'predicate-type', text: asText(st.predicateType) }));
    const subjects = Array.isArray(st.subject) ? st.subject : [];
    out.append(section(`Subjects (${subjects.length})`,
      subjects.length === 0
        ? el('p', { class: 'muted', text: 'none' })
        : el('table', { class: 'artifacts' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'name' }), el('th', { scope: 'col', text: 'digest' }))),
          el('tbody', {}, subjects.map((s) => el('tr', {},
            el('td', {}, el('code', { text: isObject(s) ? asText(s.name) : asText(s) })),
            el('td', {}, digestList(isObject(s) ? s.digest : null))))))));
    if (st.predicate !== undefined) {
      out.append(section('Predicate', el('pre', { class: 'json', text: pretty(st.predicate) })));
    }
    return out;
  }

  function renderLegacy(doc) {
    const signed = doc.signed;
    const out = el('div');
    const dl = el('dl', { class: 'facts' });
    field(dl, 'envelope', 'legacy signed metadata');
    field(dl, 'type', el('code', { text: asText(signed._type) }));
    if (signed._type === 'link') {
      field(dl, 'step', el('strong', { class: 'step-name', text: asText(signed.name) }));
      if (Array.isArray(signed.command)) {
        field(dl, 'command', el('code', { text: signed.command.map(asText).join(' ') || '(none)' }));
      }
      const materials = isObject(signed.materials) ? Object.keys(signed.materials).length : 0;
      const products = isObject(signed.products) ? Object.keys(signed.products).length : 0;
      field(dl, 'artifacts', `${materials} material${materials === 1 ? '' : 's'}, ${products} product${products === 1 ? '' : 's'}`);
      if (isObject(signed.byproducts) && signed.byproducts['return-value'] !== undefined) {
        field(dl, 'return value', asText(signed.byproducts['return-value']));
      }
      out.append(dl);
      out.append(artifactTable('Materials', signed.materials));
      out.append(artifactTable('Products', signed.products));
      if (isObject(signed.environment) && Object.keys(signed.environment).length > 0) {
        out.append(section('Environment', el('pre', { class: 'json', text: pretty(signed.environment) })));
      }
    } else {
      out.append(dl);
      out.append(section('Signed', el('pre', { class: 'json', text: pretty(signed) })));
    }
    out.append(signatureList(doc.signatures));
    return out;
  }

  // ---- hashing a file -----------------------------------------------------

  async function hashFile(file) {
    const shown = $('computed-digest');
    if (!window.crypto || !window.crypto.subtle) {
      shown.textContent = 'cannot hash here: the browser computes digests only on https:// or loopback pages';
      return;
    }
    shown.textContent = `hashing ${file.name}…`;
    try {
      const hash = await window.crypto.subtle.digest('SHA-256', await file.arrayBuffer());
      const hex = Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, '0')).join('');
      const digest = `sha256:${hex}`;
      shown.textContent = digest;
      shown.title = `SHA-256 of ${file.name}`;
      setMode('subject');
      await search(digest, 'subject');
    } catch (e) {
      shown.textContent = `cannot hash ${file.name}: ${e.message}`;
    }
  }

  // ---- verification -------------------------------------------------------

  async function loadPolicies() {
    const select = $('policy');
    try {
      const body = await getJson('/v1/policies');
      const policies = Array.isArray(body.policies) ? body.policies.filter(isObject) : [];
      clear(select);
      if (policies.length === 0) {
        select.append(el('option', { value: '', text: 'none configured (start the store with --trust LAYOUT)' }));
        select.disabled = true;
      } else {
        for (const p of policies) {
          const name = typeof p.name === 'string' && p.name ? p.name : `${asText(p.id).slice(0, 12)}…`;
          select.append(el('option', { value: asText(p.id), 'data-name': name, text: `${name} (${asText(p.kind)})` }));
        }
        select.disabled = false;
      }
    } catch (e) {
      clear(select);
      select.append(el('option', { value: '', text: `cannot list them: ${e.message}` }));
      select.disabled = true;
    }
    updateVerifyButton();
  }

  function updateVerifyButton() {
    const subject = state.mode === 'subject' ? state.digest : null;
    $('verify').disabled = !(subject && $('policy').value);
    const hint = $('verify-hint');
    clear(hint);
    if (!subject) {
      hint.append('Search for a subject first: it is verified as the final artifact.');
    } else {
      hint.append('Final artifact: ', el('code', { text: subject }));
    }
  }

  function resetVerification() {
    state.verifyRequest += 1;
    $('verification').hidden = true;
    clear($('verdict'));
    clear($('findings'));
    clear($('report'));
  }

  async function verify() {
    const policy = $('policy').value;
    const subject = state.mode === 'subject' ? state.digest : null;
    if (!policy || !subject) return;
    const panel = $('verification');
    const verdict = $('verdict');
    const findings = $('findings');
    const report = $('report');
    panel.hidden = false;
    clear(verdict);
    clear(findings);
    clear(report);
    verdict.className = 'verdict running';
    verdict.append(el('span', { text: 'Verifying…' }));
    $('verify').disabled = true;
    const request = ++state.verifyRequest;
    const option = $('policy').selectedOptions[0];
    const policyName = option ? option.getAttribute('data-name') || option.textContent : policy;
    let answer;
    try {
      answer = await getJson('/v1/verify', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ policy: { id: policy }, subject, html: true }),
      });
    } catch (e) {
      if (request !== state.verifyRequest) return;
      clear(verdict);
      verdict.className = 'verdict error';
      verdict.append(el('strong', { text: 'NOT VERIFIED' }), el('span', { text: e.message }));
      updateVerifyButton();
      panel.scrollIntoView({ block: 'start' });
      return;
    }
    if (request !== state.verifyRequest) return;
    updateVerifyButton();
    const passed = answer.passed === true;
    const evidence = isObject(answer.evidence) ? answer.evidence : {};
    const count = typeof evidence.count === 'number' ? evidence.count : 0;
    clear(verdict);
    verdict.className = `verdict ${passed ? 'passed' : 'failed'}`;
    verdict.append(
      el('strong', { class: 'badge-verdict', text: passed ? 'PASSED' : 'FAILED' }),
      el('span', { class: 'what' },
        el('span', {}, `${asText(answer.kind) || 'document'} `, el('strong', { text: policyName })),
        el('span', {}, 'subject ', el('code', { text: asText(answer.subject || subject) })),
        el('span', { class: 'evidence' },
          `evidence: ${count} attestation${count === 1 ? '' : 's'} from the store`,
          evidence.truncated === true ? ' (truncated: the walk stopped at its limit)' : '')),
    );
    const rep = isObject(answer.report) ? answer.report : {};
    let diagnostics = [];
    if (Array.isArray(rep.diagnostics)) diagnostics = rep.diagnostics;
    else if (isObject(rep.verdict) && Array.isArray(rep.verdict.diagnostics)) diagnostics = rep.verdict.diagnostics;
    for (const d of diagnostics.filter(isObject)) {
      const severity = typeof d.severity === 'string' ? d.severity : 'note';
      findings.append(el('li', { class: `finding ${severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note'}` },
        el('span', { class: 'severity', text: severity }),
        d.code ? el('code', { class: 'code', text: asText(d.code) }) : null,
        el('span', { class: 'message', text: asText(d.message) }),
        d.help ? el('span', { class: 'help', text: asText(d.help) }) : null));
    }
    if (diagnostics.length === 0) {
      findings.append(el('li', { class: 'finding none', text: 'No findings.' }));
    }
    if (typeof answer.html === 'string' && answer.html) {
      report.append(reportFrame(answer.html));
    }
    panel.scrollIntoView({ block: 'start' });
  }

  /**
   * The server's report page in a sandboxed frame where no script runs.
   * A srcdoc frame inherits this page's content security policy, which
   * refuses inline styles; so the report's style sheet and style
   * attributes are taken out of its text before it is drawn, and applied
   * again through the CSS object model, which that policy does not govern.
   * The report escapes '<' and '"' in everything it quotes, so these
   * patterns meet only its own markup.
   */
  function reportFrame(html) {
    let css = '';
    const markup = html
      .replace(/<style>([\s\S]*?)<\/style>/g, (_, text) => {
        css += `${text}\n`;
        return '';
      })
      .replace(/(\s)style="/g, '$1data-inline-style="');
    const frame = el('iframe', {
      id: 'report-frame',
      class: 'report-frame',
      title: 'Verification report: the supply chain graph',
      sandbox: 'allow-same-origin',
      referrerpolicy: 'no-referrer',
    });
    frame.addEventListener('load', () => {
      try {
        const doc = frame.contentDocument;
        const win = frame.contentWindow;
        if (!doc || !win) return;
        if (css && typeof win.CSSStyleSheet === 'function') {
          const sheet = new win.CSSStyleSheet();
          sheet.replaceSync(css);
          doc.adoptedStyleSheets = [sheet];
        }
        for (const node of doc.querySelectorAll('[data-inline-style]')) {
          node.style.cssText = node.getAttribute('data-inline-style');
        }
        fitFrame(frame);
      } catch (_) {
        // The report stays readable unstyled.
      }
    });
    frame.srcdoc = markup;
    return frame;
  }

  /** Makes the frame as tall as the report, so the page scrolls, not the frame. */
  function fitFrame(frame) {
    const doc = frame.contentDocument;
    if (!doc || !doc.documentElement) return;
    const root = doc.documentElement;
    root.style.overflowY = 'hidden';
    frame.style.height = '360px';
    const height = Math.max(root.scrollHeight, doc.body ? doc.body.scrollHeight : 0) + 2;
    const limit = 20000;
    frame.style.height = `${Math.min(Math.max(height, 360), limit)}px`;
    // Past the limit, the frame scrolls itself.
    root.style.overflowY = height > limit ? 'auto' : 'hidden';
  }

  // ---- wiring -------------------------------------------------------------

  function start() {
    $('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      search($('digest').value, currentMode());
    });
    $('more').addEventListener('click', () => {
      if (state.digest && state.next !== null) loadPage(state.generation, state.next);
    });
    $('file').addEventListener('change', () => {
      const file = $('file').files && $('file').files[0];
      if (file) hashFile(file);
    });
    $('verify-form').addEventListener('submit', (event) => {
      event.preventDefault();
      verify();
    });
    $('policy').addEventListener('change', updateVerifyButton);

    window.addEventListener('resize', () => {
      const frame = $('report-frame');
      if (frame) fitFrame(frame);
    });

    loadHealth();
    loadPolicies();

    const params = new URLSearchParams(window.location.search);
    const subject = params.get('subject');
    const material = params.get('material');
    if (subject) {
      setMode('subject');
      $('digest').value = subject;
      search(subject, 'subject');
    } else if (material) {
      setMode('material');
      $('digest').value = material;
      search(material, 'material');
    }
  }

  start();
})();
