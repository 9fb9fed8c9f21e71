// Replay: both channels' waveform (peaks computed server-side), transport, speed, and the
// transcript word under the playhead highlighted. Data comes from the DOM (data-* set by the
// server, escaped); nothing is inserted as HTML.
(function () {
  "use strict";
  const player = document.getElementById("player");
  const audio = document.getElementById("audio");
  const canvas = document.getElementById("wave");
  const status = document.getElementById("wave-status");
  const playBtn = document.getElementById("play");
  const pos = document.getElementById("pos");
  const dur = document.getElementById("dur");
  const words = Array.from(document.querySelectorAll("#transcript .word"))
    .map((el) => ({ el, s: parseFloat(el.dataset.s), e: parseFloat(el.dataset.e),
                    ue: parseFloat(el.closest(".utt").dataset.e) }))
    .sort((a, b) => a.s - b.s);
  let peaks = null;
  let duration = player ? parseFloat(player.dataset.duration) || 0 : 0;
  let current = null;

  function now() { return audio ? audio.currentTime : 0; }

  // The word being spoken at t: the last word starting at or before t, while t is inside
  // it or inside its utterance (the pauses between words keep the last word lit).
  function wordAt(t) {
    let lo = 0, hi = words.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid].s <= t + 1e-3) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return null;
    const w = words[found];
    return t <= Math.max(w.e + 0.15, w.ue) ? w : null;
  }

  function highlight() {
    const t = now();
    const w = wordAt(t);
    if (w !== current) {
      if (current) { current.el.classList.remove("current"); current.el.closest(".utt").classList.remove("playing"); }
      current = w;
      if (w) {
        w.el.classList.add("current");
        const utt = w.el.closest(".utt");
        utt.classList.add("playing");
        scrollInto(utt);
      }
    }
    if (pos) pos.textContent = fd.mmss(t);
    draw();
  }

  function scrollInto(utt) {
    const box = document.getElementById("transcript");
    if (!box) return;
    const top = utt.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top + utt.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function seek(t) {
    if (!audio) return;
    const d = duration || audio.duration || 0;
    audio.currentTime = Math.max(0, d ? Math.min(t, d) : t);
    highlight();
  }

  function toggle() {
    if (!audio) return;
    if (audio.paused) audio.play().catch((err) => { if (status) { status.hidden = false; status.textContent = "无法播放 cannot play: " + err.message; } });
    else audio.pause();
  }

  // ---- waveform ----
  const COLORS = [["#0e7490", "#a5d8e3"], ["#7c3aed", "#d6c8fb"]]; // played, not yet played

  function draw() {
    if (!canvas || !peaks) return;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const lanes = Math.min(2, peaks.channels.length);
    const laneH = h / 2;
    const playedX = duration ? (now() / duration) * w : 0;
    for (let c = 0; c < 2; c++) {
      const mid = laneH * c + laneH / 2;
      ctx.fillStyle = c ? "#faf8ff" : "#f5fbfc";
      ctx.fillRect(0, laneH * c, w, laneH);
      if (c >= lanes) continue;
      const ch = peaks.channels[c];
      const n = ch.min.length;
      for (let x = 0; x < w; x++) {
        const a = Math.floor((x / w) * n), b = Math.max(a + 1, Math.floor(((x + 1) / w) * n));
        let lo = 0, hi = 0;
        for (let i = a; i < b && i < n; i++) { if (ch.min[i] < lo) lo = ch.min[i]; if (ch.max[i] > hi) hi = ch.max[i]; }
        const amp = (laneH / 2 - 4);
        ctx.fillStyle = x < playedX ? COLORS[c][0] : COLORS[c][1];
        const y1 = mid - Math.min(1, hi) * amp, y2 = mid - Math.max(-1, lo) * amp;
        ctx.fillRect(x, y1, 1, Math.max(1, y2 - y1));
      }
    }
    ctx.fillStyle = "#e2e6ee";
    ctx.fillRect(0, laneH, w, 1);
    // utterance spans under each lane: where each side spoke
    document.querySelectorAll("#transcript .utt").forEach((u) => {
      const lane = u.classList.contains("caller") ? 0 : u.classList.contains("agent") ? 1 : -1;
      if (lane < 0 || !duration) return;
      const s = parseFloat(u.dataset.s) / duration * w, e = parseFloat(u.dataset.e) / duration * w;
      ctx.fillStyle = COLORS[lane][0] + "55";
      ctx.fillRect(s, laneH * (lane + 1) - 3, Math.max(1, e - s), 3);
    });
    // a time axis: a tick every 1/2/5/10/15/30/60 s, at least 70 px apart
    if (duration) {
      const step = [1, 2, 5, 10, 15, 30, 60, 120, 300].find((s) => (s / duration) * w >= 70) || 600;
      ctx.font = "10px system-ui, sans-serif";
      ctx.fillStyle = "#6b7385";
      for (let t = step; t < duration; t += step) {
        const x = Math.round((t / duration) * w);
        ctx.fillRect(x, 0, 1, 5);
        ctx.fillText(fd.mmss(t), x + 3, 10);
      }
    }
    ctx.fillStyle = "#111827";
    ctx.fillRect(Math.round(playedX), 0, 2, h);
  }

  async function loadPeaks() {
    if (!player) return;
    const res = await fetch(`/calls/${player.dataset.call}/peaks.json`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!res.ok) {
      let msg = res.statusText;
      try { msg = (await res.json()).error || msg; } catch (e) { /* not JSON */ }
      status.textContent = `波形不可用 waveform unavailable (${res.status}): ${msg}`;
      status.classList.add("bad");
      return;
    }
    peaks = await res.json();
    const k = peaks.scale || 1;
    for (const ch of peaks.channels) { ch.min = ch.min.map((v) => v / k); ch.max = ch.max.map((v) => v / k); }
    if (peaks.duration) duration = peaks.duration;
    if (dur) dur.textContent = fd.mmss(duration);
    status.hidden = true;
    canvas.dataset.ready = "1";
    canvas.dataset.readyMs = String(Math.round(performance.now()));  // for bench/replay.py
    draw();
  }

  // ---- wiring ----
  if (audio) {
    let raf = 0;
    const tick = () => { highlight(); raf = audio.paused ? 0 : requestAnimationFrame(tick); };
    audio.addEventListener("play", () => { playBtn.textContent = "❚❚ 暂停 Pause"; if (!raf) raf = requestAnimationFrame(tick); });
    audio.addEventListener("pause", () => { playBtn.textContent = "▶ 播放 Play"; highlight(); });
    audio.addEventListener("ended", () => { playBtn.textContent = "▶ 播放 Play"; });
    audio.addEventListener("timeupdate", highlight);
    audio.addEventListener("seeked", highlight);
    audio.addEventListener("loadedmetadata", () => { if (!duration && isFinite(audio.duration)) duration = audio.duration; });
    audio.addEventListener("error", () => {
      status.hidden = false; status.classList.add("bad");
      status.textContent = "录音无法加载 the recording could not be loaded (refused or missing)";
    });
    // Buttons give focus back to the page, so Space always means play/pause.
    player.addEventListener("click", (ev) => { if (ev.target.closest("button")) ev.target.closest("button").blur(); });
    playBtn.addEventListener("click", toggle);
    document.getElementById("back5").addEventListener("click", () => seek(now() - 5));
    document.getElementById("fwd5").addEventListener("click", () => seek(now() + 5));
    document.querySelectorAll(".speed").forEach((b) => b.addEventListener("click", () => {
      audio.playbackRate = parseFloat(b.dataset.rate);
      document.querySelectorAll(".speed").forEach((o) => { o.classList.toggle("on", o === b); o.setAttribute("aria-pressed", String(o === b)); });
    }));
    canvas.addEventListener("click", (ev) => {
      const r = canvas.getBoundingClientRect();
      if (duration) seek(((ev.clientX - r.left) / r.width) * duration);
    });
    window.addEventListener("resize", draw);
    document.addEventListener("keydown", (ev) => {
      const tag = (ev.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable) return;
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.code === "Space" || ev.key === " ") { ev.preventDefault(); toggle(); }
      else if (ev.key === "ArrowLeft") { ev.preventDefault(); seek(now() - 5); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); seek(now() + 5); }
    });
    // A click on a word or an utterance's time seeks there (the word plays from its start).
    document.getElementById("transcript")?.addEventListener("click", (ev) => {
      const target = ev.target.closest("[data-seek], .word");
      if (!target) return;
      ev.preventDefault();
      seek(parseFloat(target.dataset.seek ?? target.dataset.s));
    });
    loadPeaks().catch((err) => { status.textContent = "波形不可用 waveform unavailable: " + err.message; });
  }
  window.fdReplay = { wordAt: (t) => { const w = wordAt(t); return w ? w.el.textContent : null; }, seek, highlight };
})();
