// musicpipe studio: plain JavaScript over the studio's JSON API (docs/studio.md).
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};

class ApiError extends Error {
  constructor(status, body) { super(body.error || `HTTP ${status}`); this.status = status; this.body = body; }
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  let data;
  try { data = await response.json(); } catch { data = { error: `HTTP ${response.status}` }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const state = { moods: [], current: null, history: [], limits: null };

// ---- moods ------------------------------------------------------------------------------
async function loadMoods(keep) {
  const data = await api("/api/moods");
  state.moods = data.moods.filter((m) => !m.error);
  state.limits = data.limits;
  const errors = data.errors.concat(data.moods.filter((m) => m.error).map((m) => m.error));
  const box = $("#mood-errors");
  box.hidden = !errors.length;
  box.textContent = errors.join("\n");
  const [lo, hi] = data.limits.seconds;
  Object.assign($("#seconds"), { min: lo, max: hi });
  Object.assign($("#bars"), { min: data.limits.bars[0], max: data.limits.bars[1] });
  drawMoodList(keep || state.current?.name || state.moods[0]?.name);
  fillPackFrom();
}

function drawMoodList(selected) {
  const list = $("#mood-list");
  const words = $("#mood-filter").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  list.replaceChildren();
  const shown = state.moods.filter((m) => words.every((w) =>
    m.name.toLowerCase().includes(w) || m.tags.some((t) => t.toLowerCase().includes(w)) ||
    m.description.toLowerCase().includes(w)));
  for (const m of shown) {
    const input = el("input", { type: "radio", name: "mood", value: m.name, id: `mood-${m.name}`,
                                checked: m.name === selected });
    input.addEventListener("change", () => pickMood(m.name));
    list.append(el("label", { class: "mood", for: `mood-${m.name}` }, input,
      el("span", {}, el("span", { class: "name", text: m.name }),
         el("span", { class: "meta", text: `${m.key} · ${m.tempo} BPM` })),
      el("span", { class: "desc" }, m.description + " ",
         ...m.tags.map((t) => el("span", { class: "tag", text: t })))));
  }
  if (!shown.length) list.append(el("p", { class: "muted", text: "No mood matches." }));
  list.setAttribute("aria-busy", "false");
  if (selected && state.moods.some((m) => m.name === selected)) pickMood(selected);
}

function pickMood(name) {
  const m = state.moods.find((x) => x.name === name);
  if (!m) return;
  state.current = m;
  $("#mood-name").textContent = m.name;
  $("#intensity").value = m.intensity;
  $("#intensity-out").textContent = m.intensity;
  $("#tempo").placeholder = String(m.tempo);
  $("#key").placeholder = m.key;
  const about = $("#mood-about");
  const dl = el("dl", {});
  const add = (term, value) => dl.append(el("dt", { text: term }), el("dd", { text: value }));
  add("Key", m.key);
  add("Tempo", `${m.tempo} BPM, ${m.time_sig}`);
  add("Intensity", String(m.intensity));
  add("Form", m.form ? m.form.join(" · ") : "intro · A · A · B · A · outro (the default)");
  add("Layers", m.layers.map((l) => `${l.name} (${l.generator}, ch ${l.ch})`).join(", "));
  add("Source", m.source);
  about.replaceChildren(el("p", { text: m.description }), dl);
  $("#render").disabled = false;
  const from = $("#pack-from");
  if (from) from.value = m.name;
}

function fillKeys() {
  const roots = ["C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B"];
  const list = $("#keys");
  for (const r of roots) for (const suffix of ["", "m", " dorian"]) list.append(el("option", { value: r + suffix }));
}

async function render(event) {
  event.preventDefault();
  if (!state.current) return;
  const num = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));
  const body = { mood: state.current.name, seconds: num("#seconds"), bars: num("#bars"),
                 loop: $("#loop").checked, key: $("#key").value.trim() || null,
                 tempo: num("#tempo"), intensity: num("#intensity"), seed: num("#seed") };
  const button = $("#render"), status = $("#render-status");
  button.disabled = true;
  status.textContent = `Rendering ${body.mood}…`;
  try {
    const piece = await api("/api/render", body);
    status.textContent = `Rendered ${piece.title}.`;
    addToHistory(piece);
    play(piece);
  } catch (e) {
    status.textContent = "";
    status.append(el("span", { class: "error", text: e.message }));
  } finally {
    button.disabled = false;
  }
}

// ---- the player and the piano roll ---------------------------------------------------------
async function drawRoll(box, piece, audio) {
  const response = await fetch(piece.files.svg);
  box.innerHTML = await response.text();  // the server's own SVG (draw.svg escapes its text)
  box.setAttribute("aria-label", `Piano roll of ${piece.title}: ${piece.tracks.map((t) => t.name).join(", ")}`);
  const svg = box.querySelector("svg");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
  line.setAttribute("class", "playhead");
  line.setAttribute("y1", piece.roll.top);
  line.setAttribute("y2", piece.roll.top + piece.roll.height);
  svg.append(line);
  const timeline = piece.timeline;
  const xAt = (sec) => {
    for (let i = 1; i < timeline.length; i++) {
      const [s0, x0] = timeline[i - 1], [s1, x1] = timeline[i];
      if (sec <= s1) return s1 > s0 ? x0 + (x1 - x0) * (sec - s0) / (s1 - s0) : x1;
    }
    return timeline[timeline.length - 1][1];
  };
  const secAt = (x) => {
    for (let i = 1; i < timeline.length; i++) {
      const [s0, x0] = timeline[i - 1], [s1, x1] = timeline[i];
      if (x <= x1) return x1 > x0 ? s0 + (s1 - s0) * Math.max(0, x - x0) / (x1 - x0) : s1;
    }
    return timeline[timeline.length - 1][0];
  };
  const place = () => {
    const x = xAt(audio.currentTime);
    line.setAttribute("x1", x);
    line.setAttribute("x2", x);
    if (x < box.scrollLeft + 40 || x > box.scrollLeft + box.clientWidth - 40) box.scrollLeft = x - 60;
  };
  let frame = 0;
  const tick = () => { place(); frame = audio.paused ? 0 : requestAnimationFrame(tick); };
  audio.onplay = () => { if (!frame) frame = requestAnimationFrame(tick); };
  audio.ontimeupdate = audio.onseeked = audio.onpause = place;
  svg.addEventListener("click", (ev) => {
    const point = svg.createSVGPoint();
    point.x = ev.clientX; point.y = ev.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    audio.currentTime = secAt(local.x);
  });
  box.onkeydown = (ev) => {  // keyboard: arrows seek, space plays or pauses
    if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      audio.currentTime = Math.max(0, audio.currentTime + (ev.key === "ArrowRight" ? 1 : -1));
      ev.preventDefault();
    } else if (ev.key === " ") {
      if (audio.paused) audio.play(); else audio.pause();
      ev.preventDefault();
    }
  };
  place();
}

function play(piece) {
  $("#now").hidden = false;
  $("#now-empty").hidden = true;
  $("#now-title").textContent = piece.title;
  const audio = $("#audio");
  audio.src = piece.files.wav;
  $("#tracks").replaceChildren(...piece.tracks.map((t) => el("li", { "data-ch": t.ch, "data-track": t.track || null },
    el("span", { class: "swatch", "aria-hidden": "true" }), `${t.name} (${t.notes} notes)`)));
  for (const [i, li] of [...$("#tracks").children].entries()) li.firstChild.style.background = piece.tracks[i].colour;
  const labels = { wav: "Audio (.wav)", mid: "MIDI (.mid)", jsonl: "Stream (.jsonl)", svg: "Piano roll (.svg)" };
  const stems = el("button", { type: "button", class: "link", "data-kind": "stems", text: "Stems (.zip): render" });
  stems.addEventListener("click", () => renderStems(piece, stems));
  $("#downloads").replaceChildren(...Object.entries(labels).map(([kind, label]) =>
    el("a", { href: piece.files[kind], download: piece.names[kind], "data-kind": kind, text: `⬇ ${label}` })), stems);
  $("#warnings").replaceChildren(...piece.warnings.map((w) => el("li", { text: w })));
  drawRoll($("#roll"), piece, audio);
  for (const row of document.querySelectorAll("#history-rows tr")) row.classList.toggle("current", row.dataset.id === piece.id);
}

async function renderStems(piece, button) {
  button.disabled = true;
  button.textContent = "Rendering stems…";
  try {
    const data = await api("/api/stems", { id: piece.id });
    const link = el("a", { href: data.url, download: data.name, "data-kind": "zip",
      title: data.stems.join(", "), text: `⬇ Stems (.zip): ${data.stems.length} files` });
    button.replaceWith(link);
    link.focus();
  } catch (e) {
    button.disabled = false;
    button.textContent = `Stems failed: ${e.message}`;
  }
}

// ---- the pipeline box ---------------------------------------------------------------------------
async function runPipeline(event) {
  event.preventDefault();
  const text = $("#pipeline-text").value;
  const status = $("#pipeline-status"), stages = $("#stages"), error = $("#pipeline-error");
  status.textContent = "Running…";
  error.hidden = true;
  $("#pipeline-run").disabled = true;
  try {
    const piece = await api("/api/pipeline", { text });
    status.textContent = `${piece.events} events, ${piece.seconds.toFixed(1)} s.`;
    showStages(piece.stages, null, "");
    addToHistory(piece);
    play(piece);
  } catch (e) {
    status.textContent = "";
    const body = e.body || {};
    if (body.stages && body.stages.length && body.stage !== null && body.stage !== undefined) {
      showStages(body.stages, body.stage, e.message);
    } else {
      stages.replaceChildren();
      error.hidden = false;
      error.textContent = e.message;
    }
  } finally {
    $("#pipeline-run").disabled = false;
  }
}

function showStages(texts, failed, message) {
  $("#stages").replaceChildren(...texts.map((text, i) => {
    const kind = failed === null || i < failed ? "ok" : i === failed ? "failed" : "skipped";
    const mark = { ok: "✓", failed: "✗", skipped: "·" }[kind];
    const label = { ok: "ran", failed: "failed", skipped: "not run" }[kind];
    return el("li", { class: kind },
      el("span", { class: "mark", "aria-label": label, text: mark }),
      el("code", { text }),
      kind === "failed" ? el("span", { class: "stage-error", role: "alert", text: message }) : el("span"));
  }));
}

// ---- history and A/B ----------------------------------------------------------------------------
function addToHistory(piece) {
  state.history.push(piece);
  try { sessionStorage.setItem("musicpipe-history", JSON.stringify(state.history.slice(-50))); } catch { /* full */ }
  drawHistory();
}

function drawHistory() {
  const rows = $("#history-rows");
  $("#history-table").hidden = !state.history.length;
  $("#history-empty").hidden = !!state.history.length;
  const a = document.querySelector("input[name=ab-a]:checked")?.value;
  const b = document.querySelector("input[name=ab-b]:checked")?.value;
  rows.replaceChildren(...state.history.map((piece, i) => {
    const radio = (side, checked) => el("input", { type: "radio", name: `ab-${side}`, value: piece.id, checked,
      "aria-label": `${side.toUpperCase()}: ${piece.title}` });
    const open = el("button", { type: "button", text: "Open", "aria-label": `Open ${piece.title}` });
    open.addEventListener("click", () => play(piece));
    const tr = el("tr", { "data-id": piece.id },
      el("td", { text: String(i + 1) }), el("td", { text: piece.title }),
      el("td", { text: `${piece.seconds.toFixed(1)} s` }),
      el("td", {}, radio("a", piece.id === a)), el("td", {}, radio("b", piece.id === b)), el("td", {}, open));
    return tr;
  }));
  for (const input of rows.querySelectorAll("input[type=radio]")) input.addEventListener("change", drawCompare);
  drawCompare();
}

function drawCompare() {
  const pick = (side) => state.history.find((p) => p.id === document.querySelector(`input[name=ab-${side}]:checked`)?.value);
  const a = pick("a"), b = pick("b");
  $("#compare").hidden = !(a && b);
  if (!(a && b)) return;
  for (const [side, piece] of [["a", a], ["b", b]]) {
    const box = $(`#side-${side}`);
    if (box.dataset.id === piece.id) continue;
    box.dataset.id = piece.id;
    box.querySelector(".accent").textContent = piece.title;
    const audio = box.querySelector("audio");
    audio.src = piece.files.wav;
    audio.addEventListener("play", () => {
      const other = $(`#side-${side === "a" ? "b" : "a"} audio`);
      other.pause();
      markPlaying(side);
    });
    drawRoll(box.querySelector(".roll"), piece, audio);
  }
}

function markPlaying(side) {
  $("#side-a").classList.toggle("playing", side === "a");
  $("#side-b").classList.toggle("playing", side === "b");
  $("#ab-playing").textContent = `Playing ${side.toUpperCase()}`;
}

function switchAB() {
  const a = $("#side-a audio"), b = $("#side-b audio");
  const [from, to, side] = !a.paused || (a.paused && b.paused && $("#side-b").classList.contains("playing")) ? [a, b, "b"] : [b, a, "a"];
  const at = from.currentTime;
  from.pause();
  to.currentTime = Math.min(at, to.duration || at);
  to.play();
  markPlaying(side);
}

// ---- the pack editor ---------------------------------------------------------------------------
function fillPackFrom() {
  const select = $("#pack-from");
  const was = select.value || state.current?.name;
  select.replaceChildren(...state.moods.map((m) => el("option", { value: m.name, text: m.name })));
  if (was) select.value = was;
}

async function loadPacks() {
  const data = await api("/api/packs");
  $("#pack-folder").textContent = data.folder;
  $("#pack-open").replaceChildren(el("option", { value: "", text: "—" }),
    ...data.packs.map((n) => el("option", { value: n, text: `${n}.toml` })));
}

let checkTimer = 0, checkSeq = 0;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkPack, 250);
}

async function checkPack() {
  const seq = ++checkSeq;
  const text = $("#pack-text").value;
  let report;
  try {
    report = await api("/api/packs/check", { text, name: packName() });
  } catch (e) {
    report = { ok: false, moods: [], errors: [{ message: e.message, field: null }] };
  }
  if (seq !== checkSeq) return;  // a newer edit is being checked
  const ok = $("#pack-ok"), list = $("#pack-errors");
  ok.hidden = !report.ok;
  ok.textContent = report.ok ? `✓ Valid: ${report.moods.join(", ") || "no moods"}` : "";
  list.replaceChildren(...report.errors.map((e) => el("li", {},
    e.field ? el("code", { class: "field-path", text: e.field }) : null, e.message)));
  $("#pack-text").setAttribute("aria-invalid", report.ok ? "false" : "true");
  $("#pack-save").disabled = !report.ok || !text.trim();
  $("#pack-replace").hidden = true;
}

function packName() {
  return $("#pack-name").value.trim().replace(/\.toml$/, "") || "my-moods";
}

async function loadPackFromMood() {
  const name = $("#pack-from").value;
  if (!name) return;
  const data = await api(`/api/moods/${encodeURIComponent(name)}/toml`);
  $("#pack-text").value = data.toml;
  checkPack();
}

async function openPack() {
  const name = $("#pack-open").value;
  if (!name) return;
  const data = await api(`/api/packs/${encodeURIComponent(name)}`);
  $("#pack-text").value = data.text;
  $("#pack-name").value = data.name;
  checkPack();
}

async function savePack(replace) {
  const status = $("#pack-status");
  status.textContent = "Saving…";
  try {
    const data = await api("/api/packs/save", { name: packName(), text: $("#pack-text").value, replace });
    status.textContent = `Saved ${data.saved} in ${data.folder}: ${data.moods.join(", ")}`;
    $("#pack-replace").hidden = true;
    await Promise.all([loadMoods(), loadPacks()]);
  } catch (e) {
    status.textContent = e.message;
    $("#pack-replace").hidden = !(e.body && e.body.exists);
  }
}

// ---- the score plan editor and its timeline strip -----------------------------------------------
const STRIP = { height: 96, top: 16 };
const REGION_COLOURS = ["#4e79a7", "#e15759", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#edc948", "#9c755f"];
const svgEl = (tag, attrs = {}, text) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
};

let scoreTimer = 0, scoreSeq = 0;
function scheduleScoreCheck() {
  clearTimeout(scoreTimer);
  scoreTimer = setTimeout(checkScore, 300);
}

async function checkScore() {
  const seq = ++scoreSeq;
  let report = null, error = null;
  try {
    report = await api("/api/score/check", { text: $("#score-text").value });
  } catch (e) {
    error = e.message;
  }
  if (seq !== scoreSeq) return;  // a newer edit is being checked
  showScoreError(error);
  $("#score-text").setAttribute("aria-invalid", error ? "true" : "false");
  $("#score-strip").classList.toggle("stale", !!error);
  const summary = $("#score-summary");
  summary.hidden = !report;
  if (!report) return;
  summary.textContent = `✓ ${report.duration} s, ${report.regions.length} regions, ${report.bars} bars, ` +
    `${report.hits.length} hits, ${report.loop ? "loops" : `ending: ${report.ending}`}`;
  drawStrip(report);
}

function showScoreError(message) {
  const box = $("#score-error");
  box.hidden = !message;
  box.textContent = message || "";
}

function drawStrip(report) {
  const { height, top } = STRIP;
  const strip = $("#score-strip");
  const width = strip.clientWidth || 1000;  // drawn at the strip's own size: text unstretched
  strip.report = report;
  const x = (sec) => (sec / report.duration) * width;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width, height });
  for (const r of report.regions) {
    const left = x(r.at), w = x(r.end) - left;
    const g = svgEl("g", { class: "region", "data-index": r.index });
    g.append(svgEl("title", {}, `${r.name} (${r.mood}): ${r.at}–${r.end} s, ${r.bars} bars of ${r.meter}, ` +
      `${r.tempo} → ${r.fitted_tempo} BPM (${r.fit_percent > 0 ? "+" : ""}${r.fit_percent} %), ${r.key}`));
    g.append(svgEl("rect", { x: left, y: top, width: Math.max(w - 1, 1), height: height - top,
      fill: REGION_COLOURS[r.index % REGION_COLOURS.length], rx: 4 }));
    const levels = r.intensity, step = w / Math.max(levels.length, 1);  // intensity per bar
    const points = levels.flatMap((v, i) => [[left + i * step, height - 2 - (v / 100) * (height - top - 40)],
                                             [left + (i + 1) * step, height - 2 - (v / 100) * (height - top - 40)]]);
    g.append(svgEl("polyline", { class: "level", points: points.map((p) => p.join(",")).join(" ") }));
    const bars = `${r.bars}${r.short_bar ? "+" + r.short_bar : ""} bars`;
    g.append(svgEl("text", { class: "region-name", x: left + 6, y: top + 16 }, r.name));
    g.append(svgEl("text", { class: "region-meta", x: left + 6, y: top + 31 },
      `${bars} · ${Math.round(r.fitted_tempo * 10) / 10} BPM · ${r.key}`));
    svg.append(g);
  }
  for (const h of report.hits) {
    const g = svgEl("g", { class: "hit", "data-kind": h.kind, "data-index": h.index });
    g.append(svgEl("title", {}, `${h.label}: ${h.kind} at ${h.at} s, bar ${h.bar} beat ${h.beat}` +
      (h.on_beat ? " (on the beat)" : ` (${h.error_ms} ms off the beat)`)));
    g.append(svgEl("line", { x1: x(h.at), x2: x(h.at), y1: top - 6, y2: height }));
    g.append(svgEl("path", { d: `M${x(h.at) - 5},2 L${x(h.at) + 5},2 L${x(h.at)},${top - 4} Z` }));
    const right = x(h.at) > width - 80;  // the label on the marker's roomier side
    g.append(svgEl("text", { x: x(h.at) + (right ? -8 : 8), y: top - 5, "text-anchor": right ? "end" : "start" }, h.label));
    svg.append(g);
  }
  strip.replaceChildren(svg);
  strip.setAttribute("aria-label", "The plan's timeline: " + report.regions.map((r) =>
    `${r.name} from ${r.at} s, ${r.bars} bars at ${Math.round(r.fitted_tempo)} BPM`).join("; ") +
    (report.hits.length ? "; hits at " + report.hits.map((h) => `${h.at} s (${h.kind})`).join(", ") : ""));
}

async function renderScore() {
  const button = $("#score-render"), status = $("#score-status");
  const seed = $("#score-seed").value.trim();
  button.disabled = true;
  status.textContent = "Rendering the score…";
  try {
    const piece = await api("/api/score", { text: $("#score-text").value, seed: seed === "" ? null : Number(seed) });
    status.textContent = `Rendered ${piece.title}.`;
    showScoreError(null);
    addToHistory(piece);
    play(piece);
  } catch (e) {
    status.textContent = "";
    showScoreError(e.message);
  } finally {
    button.disabled = false;
  }
}

// ---- start -------------------------------------------------------------------------------------
function start() {
  fillKeys();
  $("#mood-filter").addEventListener("input", () => drawMoodList(state.current?.name));
  $("#render-form").addEventListener("submit", render);
  $("#intensity").addEventListener("input", () => { $("#intensity-out").textContent = $("#intensity").value; });
  $("#dice").addEventListener("click", () => { $("#seed").value = Math.floor(Math.random() * 100000); });
  $("#pipeline-form").addEventListener("submit", runPipeline);
  $("#pipeline-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) runPipeline(ev);
  });
  $("#ab-switch").addEventListener("click", switchAB);
  $("#pack-load").addEventListener("click", loadPackFromMood);
  $("#pack-open-button").addEventListener("click", openPack);
  $("#pack-text").addEventListener("input", scheduleCheck);
  $("#pack-name").addEventListener("input", scheduleCheck);
  $("#pack-save").addEventListener("click", () => savePack(false));
  $("#pack-replace").addEventListener("click", () => savePack(true));
  $("#score-text").addEventListener("input", scheduleScoreCheck);
  $("#score-render").addEventListener("click", renderScore);
  window.addEventListener("resize", () => { const r = $("#score-strip").report; if (r) drawStrip(r); });
  checkScore();
  try { state.history = JSON.parse(sessionStorage.getItem("musicpipe-history") || "[]"); } catch { state.history = []; }
  drawHistory();
  loadMoods().catch((e) => { $("#mood-list").replaceChildren(el("p", { class: "error", text: e.message })); });
  loadPacks().catch(() => {});
}

start();
