// Shared helpers for every console page. No framework: pages are server-rendered, this
// adds what needs the browser (CSRF on fetch, small conveniences). Page scripts build on it.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = { ok: false, error: res.statusText }; }
    if (!res.ok && data.ok === undefined) data.ok = false;
    return data;
  }

  function el(tag, attrs, ...children) {
    // Builds DOM with textContent only: transcript and ledger text is never parsed as HTML.
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node[k] = v;
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function mmss(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // Confirm before destructive form submits marked data-confirm="…".
  document.addEventListener("submit", (ev) => {
    const msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  window.fd = { csrf, post, el, mmss };
})();
