// The front desk: the line (ringing and active calls over Server-Sent Events, controls sent
// to /line/{action}), registration countdowns, and the draft form's helpers. All text from
// the phone or the ledger goes into the page through fd.el / textContent, never as HTML.
(function () {
  "use strict";
  const { el, post, mmss } = window.fd;
  const $ = (sel) => document.querySelector(sel);
  const dataNode = $("#desk-data");
  const page = dataNode ? JSON.parse(dataNode.textContent) : {};
  const calls = new Map(); // uuid → call as the phone describes it (+ known resident)
  const waiting = new Map(); // uuid → {caller, url?} answered calls whose draft is coming
  let online = null;
  let formDirty = false;

  // ---- the line panel ----
  // On /desk the line has its own panel; on the ledger pages ringing calls show in the
  // shared banner under the top bar, so an agent there still sees and answers them.
  const banner = $("#line-calls") ? null : $("#phone-banner");
  const box = $("#line-calls") || banner;
  const idle = $("#line-idle");
  const state = $("#line-state");
  const msg = $("#line-msg");

  function setOnline(ok, error) {
    online = ok;
    if (!state) return;
    state.textContent = ok ? "电话在线 phone online" : "电话未运行 phone not running";
    state.className = "badge " + (ok ? "ok" : "bad");
    if (!ok) {
      showMsg("电话未运行 — the phone is not running: calls cannot be answered here. Start it with `frontdesk run`.");
      if (msg && error) msg.title = error;
    } else showMsg(null);
  }

  function showMsg(text) {
    if (!msg) return;
    msg.hidden = !text;
    msg.textContent = text || "";
  }

  function known(c) {
    const k = c.known;
    if (!k) return el("div", { class: "known muted" }, "新来电人 — no earlier entries for this number");
    const parts = [k.name, k.address].filter(Boolean).join(" · ");
    return el("div", { class: "known" },
      el("strong", {}, parts || "已知号码 known number"),
      el("small", { class: "muted" }, ` ${k.entries} 条记录 earlier entries` + (k.last ? ` · 上次 last: ${k.last}` : "")));
  }

  function button(label, key, cls, action, uuid) {
    const b = el("button", { class: cls, type: "button", "data-action": action, onclick: () => act(action, uuid) }, label);
    if (key) b.append(" ", el("kbd", {}, key));
    return b;
  }

  function render() {
    if (!box) return;
    box.replaceChildren();
    const live = [...calls.values()].filter((c) => c.state === "ringing" || c.state === "active");
    for (const c of live) {
      const ringing = c.state === "ringing";
      const waitingLine = c.line === "waiting"; // answered by the policy, greeted, waiting for the agent
      const card = el("div", { class: "call " + c.state, "data-uuid": c.uuid });
      const top = el("div", { class: "call-top" });
      if (ringing) {
        top.append(el("span", { class: "ringing-dot" }), el("span", { class: "state" }, "来电 Ringing"),
          el("span", { class: "rings", "data-rings": String(c.rings || 1) }, `第 ${c.rings || 1} 声 ring ${c.rings || 1}`));
      } else {
        top.append(el("span", { class: "state" }, c.line === "held" ? "保持中 On hold" : waitingLine ? "等待接入 Waiting" : "通话中 On call"),
          el("span", { class: "timer", "data-since": c.answered_at || "" }, "0:00"));
        if (c.muted) top.append(el("span", { class: "badge warn" }, "静音 muted"));
      }
      card.append(top, el("div", { class: "num" }, c.caller || "未知号码 unknown"));
      if (c.caller_name) card.append(el("div", { class: "sip-name muted" }, c.caller_name));
      card.append(known(c));
      const btns = el("div", { class: "btns" });
      if (ringing) {
        btns.append(button("接听 Answer", "F2", "ok big", "answer", c.uuid), button("拒接 Reject", "Esc", "danger", "reject", c.uuid));
      } else {
        if (waitingLine) btns.append(button("接入 Take", null, "ok", "take", c.uuid));
        btns.append(
          button(c.muted ? "取消静音 Unmute" : "静音 Mute", null, "", c.muted ? "unmute" : "mute", c.uuid),
          button(c.held ? "恢复 Resume" : "保持 Hold", null, "", c.held ? "unhold" : "hold", c.uuid),
          button("挂断 Hang up", "F4", "danger", "hangup", c.uuid));
      }
      card.append(btns);
      box.append(card);
    }
    for (const [uuid, w] of waiting) {
      const row = el("div", { class: "call ended", "data-uuid": uuid },
        el("div", { class: "call-top" }, el("span", { class: "state" }, "已挂断 Ended"), el("span", { class: "num small" }, w.caller || "")));
      if (w.url) row.append(el("a", { class: "button primary", href: w.url, id: "open-draft" }, "打开草稿 Open draft →"));
      else row.append(el("div", { class: "muted" }, "草稿生成中… — transcribing, the draft opens in a few seconds"));
      box.append(row);
    }
    if (idle) idle.hidden = live.length > 0 || waiting.size > 0;
    focusCard(live[0]);
    if (banner) {
      banner.hidden = live.length === 0 && waiting.size === 0;
      banner.classList.toggle("active", live.length > 0 && live.every((c) => c.state === "active"));
      if (!banner.hidden) banner.append(el("a", { class: "to-desk", href: "/desk" }, "前台 Desk →"));
    }
    tick();
  }

  // While a call rings or is on, the empty main area shows who it is and their history.
  function focusCard(c) {
    const card = $("#caller-focus");
    const empty = $("#empty-state");
    if (!card) return;
    card.hidden = !c;
    if (empty) empty.hidden = !!c;
    if (!c) return;
    const k = c.known || {};
    const head = el("div", { class: "card-head" },
      el("h2", {}, c.state === "ringing" ? "来电 " : "通话中 ", el("small", {}, c.state === "ringing" ? "Incoming call" : "On call")),
      el("span", { class: "badge " + (c.known ? "ok" : "") }, c.known ? "老住户 known resident" : "新来电人 new caller"));
    const who = el("div", { class: "focus-who" },
      el("span", { class: "num" }, c.caller || ""),
      el("span", {}, k.name || ""), el("span", {}, k.address || ""));
    card.replaceChildren(head, who);
    if (k.recent && k.recent.length) {
      const rows = k.recent.map((e) => el("tr", {},
        el("td", { class: "nowrap" }, new Date(e.created_at).toLocaleString("zh-CN", { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })),
        el("td", {}, e.category || ""), el("td", { class: "nowrap" }, e.address || ""),
        el("td", {}, el("a", { href: `/ledger/${e.id}` }, e.summary || "")),
        el("td", { class: "nowrap" }, e.status || "")));
      card.append(el("h3", {}, "历史记录 Earlier entries"),
        el("table", { class: "history" },
          el("thead", {}, el("tr", {}, el("th", {}, "时间 When"), el("th", {}, "类别 Category"), el("th", {}, "地址 Address"), el("th", {}, "摘要 Summary"), el("th", {}, "状态 Status"))),
          el("tbody", {}, ...rows)));
    } else {
      card.append(el("p", { class: "muted" }, "这个号码没有历史记录 — no earlier entries for this number."));
    }
  }

  async function act(action, uuid) {
    const res = await post("/line/" + action, uuid ? { call: uuid } : {});
    if (!res.ok) {
      showMsg(res.error || "操作失败 — the phone refused");
      if (res.phone === false) setOnline(false);
      return;
    }
    showMsg(null);
    if (res.call) update(res.call);
  }

  function update(c) {
    const old = calls.get(c.uuid);
    if (old && old.known && !c.known) c.known = old.known;
    if (c.state === "ended") {
      calls.delete(c.uuid);
      if (c.answered_at && c.outcome !== "rejected") awaitDraft(c);
    } else {
      calls.set(c.uuid, c);
    }
    render();
  }

  // ---- after hangup: wait for the worker's draft, then open it ----
  function awaitDraft(c) {
    waiting.set(c.uuid, { caller: c.caller });
    const started = Date.now();
    const poll = async () => {
      let r = {};
      try {
        const res = await fetch(`/api/calls/${encodeURIComponent(c.uuid)}/draft`, { credentials: "same-origin", headers: { Accept: "application/json" } });
        r = await res.json();
      } catch (e) { r = {}; }
      if (r.ready && r.url) {
        waiting.set(c.uuid, { caller: c.caller, url: r.url });
        render();
        // open it at once unless the agent is working on another draft (then: the link)
        const busy = formDirty || (page.entry && page.status === "draft");
        if (!busy && !banner) window.location.assign(r.url);
        return;
      }
      if (Date.now() - started < 120000) setTimeout(poll, 1000);
    };
    setTimeout(poll, 500);
  }

  // ---- the phone's events ----
  function connect() {
    if (!box) return;
    const es = new EventSource("/events");
    es.onmessage = (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (err) { return; }
      if (e.event === "snapshot") {
        calls.clear();
        for (const c of e.calls || []) calls.set(c.uuid, c);
        setOnline(!!e.connected, e.error);
        render();
      } else if (e.event === "phone") {
        setOnline(!!e.connected);
        if (!e.connected) { calls.clear(); render(); }
      } else if (e.call) {
        if (online !== true) setOnline(true);
        update(e.call);
      }
    };
    es.onerror = () => { if (state) { state.textContent = "重新连接 reconnecting…"; state.className = "badge warn"; } };
  }

  // Ring counts come from the phone's own cadence: ask while something rings.
  async function refreshRings() {
    const ringing = [...calls.values()].some((c) => c.state === "ringing");
    if (ringing) {
      try {
        const res = await fetch("/line/status", { credentials: "same-origin", headers: { Accept: "application/json" } });
        const r = await res.json();
        if (r.ok) {
          const seen = new Set();
          for (const c of r.calls || []) { seen.add(c.uuid); const o = calls.get(c.uuid); if (o && !c.known) c.known = o.known; calls.set(c.uuid, c); }
          for (const k of [...calls.keys()]) if (!seen.has(k)) calls.delete(k);
          render();
        }
      } catch (e) { /* the next event or poll catches up */ }
    }
    setTimeout(refreshRings, 1000);
  }

  // ---- the live transcript: what the worker has heard so far of the call that is on ----
  // Polled about once a second while a call is active; after hangup the last words stay
  // until the draft (with the stored transcript) opens.
  const liveCard = $("#live");
  let liveUuid = null;
  let liveShown = "";
  let liveUtts = [];
  const SPEAKER = { caller: "来电人 Caller", agent: "客服 Agent" };

  function renderLive(utts, ended) {
    const key = JSON.stringify(utts) + ended;
    if (key === liveShown) return;
    liveShown = key;
    liveUtts = utts;
    const box = $("#live-transcript");
    box.replaceChildren(...utts.map((u) => el("div", { class: "utt " + u.speaker, "data-start": String(u.start) },
      el("span", { class: "t" }, mmss(u.start)),
      el("div", {}, el("div", { class: "who" }, SPEAKER[u.speaker] || "?"), el("div", { class: "said" }, u.text)))));
    $("#live-empty").hidden = utts.length > 0;
    const badge = $("#live-state");
    badge.textContent = ended ? "已挂断 ended" : "通话中 on call";
    badge.className = "badge " + (ended ? "" : "ok");
    box.scrollTop = box.scrollHeight;
  }

  async function pollLive() {
    const on = [...calls.values()].find((c) => c.state === "active");
    if (on && on.uuid !== liveUuid) { liveUuid = on.uuid; liveShown = ""; renderLive([], false); }
    if (liveUuid) {
      liveCard.hidden = false;
      if (on) {
        try {
          const res = await fetch(`/api/calls/${encodeURIComponent(liveUuid)}/live`, { credentials: "same-origin", headers: { Accept: "application/json" } });
          const r = await res.json();
          if (r.ok && r.call === liveUuid && (r.live || r.utterances.length)) renderLive(r.utterances, false);
        } catch (e) { /* the next poll catches up */ }
      } else if (!waiting.has(liveUuid)) {
        liveUuid = null; // ended without a draft to wait for (rejected, or the draft opened)
        liveCard.hidden = true;
      } else {
        renderLive(liveUtts, true);
      }
    }
    setTimeout(pollLive, 1000);
  }

  // ---- unconfirmed drafts: the worker finishes them while the page is open ----
  const draftList = $("#draft-list");
  let draftsShown = null;

  function renderDrafts(drafts) {
    const key = JSON.stringify(drafts);
    if (key === draftsShown) return;
    const known = new Set([...draftList.querySelectorAll("li[data-id]")].map((li) => li.getAttribute("data-id")));
    draftsShown = key;
    draftList.replaceChildren(...drafts.map((d) => {
      const li = el("li", { "data-id": String(d.id) },
        el("a", { href: `/desk?entry=${d.id}` },
          el("span", { class: "who-num" }, d.phone || "—"),
          el("span", { class: "cat" }, d.category || "未分类"),
          el("span", { class: "sum" }, d.summary || "（无摘要 no summary）")));
      if (d.deadline) li.append(el("span", { class: "countdown", "data-deadline": d.deadline }));
      if (page.entry === d.id) li.classList.add("current");
      if (!known.has(String(d.id))) li.classList.add("new");
      return li;
    }));
    $("#drafts-none").hidden = drafts.length > 0;
    const count = $("#draft-count");
    count.textContent = String(drafts.length);
    count.className = "badge " + (drafts.length ? "warn" : "ok");
    tick();
  }

  async function pollDrafts() {
    try {
      const res = await fetch("/api/desk/drafts", { credentials: "same-origin", headers: { Accept: "application/json" } });
      const r = await res.json();
      if (r.ok) renderDrafts(r.drafts);
    } catch (e) { /* the next poll catches up */ }
    setTimeout(pollDrafts, 3000);
  }

  // ---- clocks: call timers and the 1-minute registration countdown ----
  function tick() {
    const now = Date.now();
    for (const t of document.querySelectorAll(".timer[data-since]")) {
      const since = Date.parse(t.getAttribute("data-since"));
      if (!isNaN(since)) t.textContent = mmss((now - since) / 1000);
    }
    for (const c of document.querySelectorAll(".countdown[data-deadline]")) {
      const left = (Date.parse(c.getAttribute("data-deadline")) - now) / 1000;
      if (left > 0) {
        c.textContent = `登记倒计时 ${mmss(left)}`;
        c.className = c.className.replace(/ ?(late|soon)/g, "") + (left < 20 ? " soon" : "");
      } else {
        c.textContent = `已超时 overdue ${mmss(-left)}`;
        if (!c.classList.contains("late")) c.classList.add("late");
      }
    }
  }
  setInterval(tick, 1000);

  // ---- keyboard: F2/Enter answer, Esc reject, F4 hang up, Ctrl+Enter confirm ----
  function typing(t) {
    return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON", "A"].includes(t.tagName));
  }
  function only(stateName) {
    const list = [...calls.values()].filter((c) => c.state === stateName);
    return list.length ? list[0] : null;
  }
  document.addEventListener("keydown", (ev) => {
    const form = $("#draft-form");
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && form && $("#confirm")) {
      ev.preventDefault();
      form.requestSubmit($("#confirm"));
      return;
    }
    const ringing = only("ringing");
    if (ringing && (ev.key === "F2" || (ev.key === "Enter" && !typing(ev.target)))) {
      ev.preventDefault();
      act("answer", ringing.uuid);
    } else if (ringing && ev.key === "Escape") {
      ev.preventDefault();
      act("reject", ringing.uuid);
    } else if (ev.key === "F4" && only("active")) {
      ev.preventDefault();
      act("hangup", only("active").uuid);
    }
  });

  // ---- the draft form: dirty tracking, evidence follows the focused field ----
  const EVIDENCE = { building: "address", unit: "address", room: "address", public_area: "address",
    caller_phone: "caller.phone", caller_name: "caller.surname" };
  const form = $("#draft-form");
  if (form) {
    form.addEventListener("input", () => { formDirty = true; });
    form.addEventListener("submit", () => { formDirty = false; });
    form.addEventListener("focusin", (ev) => {
      const label = ev.target.closest("[data-field]");
      const name = label ? label.getAttribute("data-field") : "";
      const want = EVIDENCE[name] || name;
      for (const m of document.querySelectorAll("mark.evidence")) {
        const on = (m.getAttribute("data-field") || "").split(" ").some((f) => f === want || f.startsWith(want + "."));
        m.classList.toggle("focus", on);
        if (on) m.scrollIntoView({ block: "nearest" });
      }
    });
  }

  // The transcript may still be on its way: reload once it is there (unless mid-edit).
  if (page.pending && page.call) {
    const check = async () => {
      try {
        const r = await (await fetch(`/api/calls/${page.call}/draft`, { credentials: "same-origin", headers: { Accept: "application/json" } })).json();
        if (r.transcript && !formDirty) { window.location.reload(); return; }
      } catch (e) { /* try again */ }
      setTimeout(check, 2000);
    };
    setTimeout(check, 2000);
  }

  connect();
  refreshRings();
  if (liveCard) pollLive();
  if (draftList) setTimeout(pollDrafts, 3000);
  tick();
})();
