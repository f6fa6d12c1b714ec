// ZoundZcope's waveform player: a Streamlit (v1, iframe) component over WaveSurfer.js 7.
//
// Python sends (render args): `sources` (A, B...: url, label, note, colours, duration and the
// analysis' min/max envelope as peaks, so the browser never decodes the file), `regions`
// (located issues and sections: id, start, end, colour, label, title) and `command` (a
// seek-and-loop asked for by the page: nonce, start, end, play). The player reports back
// (setComponentValue) its position, loop, source and whether it plays, on the events that
// matter (a region clicked, a command applied, A/B switched, loop cleared, pause), never on
// every frame. The same state sits on #zz-player's data-* attributes for the browser tests
// (data-position, -source, -playing, -loop-start, -loop-end, -ready; data-event and
// data-reported: the last report as sent), and on window.zzPlayer.
import WaveSurfer from "./vendor/wavesurfer.esm.js";
import RegionsPlugin from "./vendor/regions.esm.js";
import TimelinePlugin from "./vendor/timeline.esm.js";
import ZoomPlugin from "./vendor/zoom.esm.js";

// --- the Streamlit component protocol (what streamlit-component-lib sends) -------------
function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}
const setFrameHeight = (height) => post("streamlit:setFrameHeight", { height });
const setValue = (value) => post("streamlit:setComponentValue", { value, dataType: "json" });

// --- times as zz_core.fmt writes them ---------------------------------------------------
/** m:ss.s, as zz_core.fmt.clock ("1:32.5"; 59.96 s is "1:00.0"). */
export function clock(seconds) {
  let minutes = Math.floor(Math.max(0, seconds) / 60);
  let rest = Math.max(0, seconds) - 60 * minutes;
  if (Math.round(rest * 10) / 10 >= 60) {
    minutes += 1;
    rest = 0;
  }
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

/** A timeline label: m:ss on whole seconds, m:ss.s between them. */
function tick(seconds) {
  const whole = Math.round(seconds);
  if (Math.abs(seconds - whole) > 1e-6) {
    return clock(seconds);
  }
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

const round3 = (value) => Math.round(value * 1000) / 1000;

/** A media URL from Streamlit ("/media/<id>.wav") made relative to this iframe, which is
 * served at <base>/component/<name>/index.html, so a base URL path keeps working. */
function mediaUrl(url) {
  return url.startsWith("/") ? new URL(`../..${url}`, window.location.href).href : url;
}

// --- elements ---------------------------------------------------------------------------
const root = document.getElementById("zz-player");
const waves = document.getElementById("waves");
const playButton = document.getElementById("play");
const timeText = document.getElementById("time");
const sourcesBox = document.getElementById("sources");
const loopBox = document.getElementById("loop");
const loopText = document.getElementById("loop-text");
const noteText = document.getElementById("note");

const MAX_ZOOM = 400; // px per second
const state = {
  players: [], // {ws, regions, box, source}
  active: 0,
  loop: null, // {start, end}
  nonce: null,
  rendered: false,
  signature: "",
  regionsSignature: "",
  zoom: 0, // px per second; 0 = the whole track fits
  height: 128,
  maxPeak: 0, // the envelope value drawn at full height, the same for every source
  switching: false,
  hint: "",
  pending: null, // a command waiting for the active player's audio: {start, end, play}
};

function active() {
  return state.players[state.active];
}

// --- state out --------------------------------------------------------------------------
function snapshot() {
  const player = active();
  const position = player ? player.ws.getCurrentTime() : 0;
  return {
    position: round3(position),
    loop: state.loop ? [round3(state.loop.start), round3(state.loop.end)] : null,
    source: state.active,
    playing: Boolean(player && player.ws.isPlaying()),
    nonce: state.nonce,
  };
}

function showState() {
  const now = snapshot();
  root.dataset.position = String(now.position);
  root.dataset.source = String(now.source);
  root.dataset.playing = String(now.playing);
  root.dataset.loopStart = now.loop ? String(now.loop[0]) : "";
  root.dataset.loopEnd = now.loop ? String(now.loop[1]) : "";
  const player = active();
  const total = player ? player.source.duration : 0;
  timeText.textContent = `${clock(now.position)} / ${clock(total)}`;
  playButton.innerHTML = now.playing ? "&#10074;&#10074;" : "&#9654;";
  playButton.setAttribute("aria-label", now.playing ? "Pause" : "Play");
  loopBox.hidden = !state.loop;
  if (state.loop) {
    loopText.textContent = `Loop ${clock(state.loop.start)}-${clock(state.loop.end)}`;
  }
}

function report(event) {
  showState();
  const value = { ...snapshot(), event };
  // what was last reported, for the browser tests (the live state is on the other data-*)
  root.dataset.event = event;
  root.dataset.reported = JSON.stringify(value);
  setValue(value);
}

// --- loop -------------------------------------------------------------------------------
function setLoop(start, end) {
  state.loop = end > start ? { start, end } : null;
  showState();
}

function clearLoop() {
  state.loop = null;
  showState();
}

function keepLooping(player, time) {
  if (!state.loop || player !== active() || !player.ws.isPlaying()) {
    return;
  }
  if (time >= state.loop.end - 0.005 || time < state.loop.start - 0.25) {
    player.ws.setTime(state.loop.start);
  }
}

function reveal(player, time) {
  // keep a position in view when zoomed in (autoScroll only follows while playing)
  const width = player.ws.getWidth();
  const pxPerSec = state.zoom || 0;
  if (!pxPerSec || !width) {
    return;
  }
  const shown = width / pxPerSec;
  const left = player.ws.getScroll() / pxPerSec;
  if (time < left || time > left + shown) {
    player.ws.setScrollTime(Math.max(0, time - shown * 0.1));
  }
}

function seekAndLoop(start, end, play) {
  const player = active();
  if (!player) {
    return;
  }
  if (end !== null && end !== undefined && end > start) {
    setLoop(start, end);
  } else {
    clearLoop();
  }
  player.ws.setTime(start);
  reveal(player, start);
  if (play) {
    player.ws.play().catch(() => showState());
  }
}

/** Apply the page's last command once the active player has its audio (a seek before
 * that would be lost: the media element starts again at 0 when it loads). */
function applyPending() {
  const player = active();
  if (!state.pending || !player || !player.loaded) {
    return;
  }
  const { start, end, play } = state.pending;
  state.pending = null;
  seekAndLoop(start, end, play);
  report("command");
}

// --- players ----------------------------------------------------------------------------
function regionLabel(region) {
  const label = document.createElement("div");
  label.textContent = region.label || "";
  label.title = region.title || region.label || "";
  label.setAttribute("style", "font: 11px/1.2 system-ui, sans-serif; padding: 1px 3px; "
    + "color: #fafafa; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; "
    + (region.kind === "section" ? "margin-top: 88px; opacity: 0.8;" : ""));
  return label;
}

/** Regions are added once the waveform knows its duration (a region made before that
 * would be clamped to 0 s); until then they wait on the player. */
function addRegions(player, regions) {
  player.pendingRegions = regions;
  if (player.ready) {
    showRegions(player);
  }
}

function showRegions(player) {
  const regions = player.pendingRegions || [];
  player.pendingRegions = null;
  player.regions.clearRegions();
  for (const region of regions) {
    const added = player.regions.addRegion({
      id: region.id,
      start: region.start,
      end: region.end,
      color: region.colour,
      content: regionLabel(region),
      drag: false,
      resize: false,
    });
    added.zzLoop = Array.isArray(region.loop) ? region.loop : [region.start, region.end];
  }
}

function makePlayer(source, index, regions) {
  const box = document.createElement("div");
  box.hidden = index !== state.active;
  box.dataset.source = String(index);
  waves.appendChild(box);
  const regionsPlugin = RegionsPlugin.create();
  const ws = WaveSurfer.create({
    container: box,
    height: state.height,
    url: mediaUrl(source.url),
    peaks: source.peaks,
    duration: source.duration,
    waveColor: source.colour,
    progressColor: source.progressColour,
    cursorColor: "#fafafa",
    cursorWidth: 2,
    normalize: state.maxPeak > 0,
    maxPeak: state.maxPeak > 0 ? state.maxPeak : undefined,
    dragToSeek: true,
    autoScroll: true,
    autoCenter: true,
    minPxPerSec: state.zoom,
    plugins: [
      regionsPlugin,
      TimelinePlugin.create({
        height: 18,
        formatTimeCallback: tick,
        secondaryLabelOpacity: 0.6,
        style: { color: "#a3a8b8", fontSize: "11px" },
      }),
      ZoomPlugin.create({ scale: 0.25, maxZoom: MAX_ZOOM, exponentialZooming: true }),
    ],
  });
  const player = {
    ws, regions: regionsPlugin, box, source, ready: false, loaded: false, resume: null,
    pendingRegions: null,
  };
  const whenDrawn = () => {
    player.ready = true;
    if (player.pendingRegions) {
      showRegions(player);
    }
  };
  ws.on("decode", whenDrawn);
  // the wheel scrolls the page; Ctrl/Cmd/Alt + wheel (and a trackpad pinch) zooms
  box.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !event.metaKey && !event.altKey) {
      event.stopPropagation();
    }
  }, { capture: true });
  ws.on("timeupdate", (time) => {
    keepLooping(player, time);
    if (player === active()) {
      showState();
    }
  });
  ws.on("finish", () => {
    if (state.loop && player === active()) {
      ws.setTime(state.loop.start);
      ws.play().catch(() => showState());
    }
  });
  ws.on("interaction", (time) => {
    if (state.loop && (time < state.loop.start || time > state.loop.end)) {
      state.loop = null;
    }
    report("seek");
  });
  ws.on("play", () => showState());
  ws.on("pause", () => {
    if (!state.switching && player === active()) {
      report("pause");
    }
  });
  ws.on("zoom", (pxPerSec) => {
    if (player === active()) {
      state.zoom = pxPerSec;
    }
  });
  ws.on("ready", () => {
    whenDrawn();
    player.loaded = true;
    if (player.resume && player === active()) { // switched to before its audio loaded
      ws.setTime(player.resume.time);
      if (player.resume.playing) {
        ws.play().catch(() => showState());
      }
    }
    player.resume = null;
    if (player === active()) {
      root.dataset.ready = "true";
      showState();
      applyPending();
    }
  });
  ws.on("error", () => {
    noteText.textContent = `${source.label}: this audio cannot be played in this browser.`;
  });
  regionsPlugin.on("region-clicked", (region, event) => {
    event.stopPropagation(); // the waveform itself would seek to the clicked point
    const [start, end] = region.zzLoop || [region.start, region.end];
    seekAndLoop(start, end, true);
    report("region");
  });
  addRegions(player, Array.isArray(source.regions) ? source.regions : regions);
  return player;
}

function buildPlayers(sources, regions) {
  for (const player of state.players) {
    player.ws.destroy();
    player.box.remove();
  }
  state.players = [];
  state.active = 0;
  state.loop = null;
  root.dataset.ready = "false";
  sources.forEach((source, index) => state.players.push(makePlayer(source, index, regions)));
  sourcesBox.replaceChildren(...sources.map((source, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = source.label;
    button.title = source.note || source.label;
    button.dataset.source = String(index);
    button.addEventListener("click", () => switchTo(index));
    return button;
  }));
  if (sources.length < 2) {
    sourcesBox.replaceChildren();
  }
}

function showSourceButtons() {
  for (const button of sourcesBox.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.source === String(state.active)));
  }
  const player = active();
  noteText.textContent = [player && player.source.note, state.hint].filter(Boolean).join(" · ");
}

/** A/B: the other source takes over at the same position (and keeps playing). */
function switchTo(index) {
  if (index === state.active || !state.players[index]) {
    return;
  }
  const from = active();
  const to = state.players[index];
  const time = from.ws.getCurrentTime();
  const playing = from.ws.isPlaying();
  state.switching = true;
  from.ws.pause();
  state.switching = false;
  state.active = index;
  for (const player of state.players) {
    player.box.hidden = player !== to;
  }
  if (state.zoom) {
    to.ws.zoom(state.zoom);
  }
  to.ws.setTime(Math.min(time, to.source.duration));
  to.resume = to.loaded ? null : { time: Math.min(time, to.source.duration), playing };
  reveal(to, time);
  if (playing && to.loaded) {
    to.ws.play().catch(() => showState());
  }
  showSourceButtons();
  report("source");
}

// --- controls ---------------------------------------------------------------------------
playButton.addEventListener("click", () => {
  const player = active();
  if (player) {
    player.ws.playPause().catch(() => showState());
  }
});
document.getElementById("loop-clear").addEventListener("click", () => {
  clearLoop();
  report("loop");
});

function zoomTo(pxPerSec) {
  state.zoom = pxPerSec;
  const player = active();
  if (player) {
    player.ws.zoom(pxPerSec);
    reveal(player, player.ws.getCurrentTime());
  }
}

function fitZoom() {
  const player = active();
  return player && player.source.duration > 0
    ? player.ws.getWidth() / player.source.duration : 1;
}

document.getElementById("zoom-in").addEventListener("click", () => {
  zoomTo(Math.min(MAX_ZOOM, (state.zoom || fitZoom()) * 2));
});
document.getElementById("zoom-out").addEventListener("click", () => {
  const next = (state.zoom || fitZoom()) / 2;
  zoomTo(next <= fitZoom() ? 0 : next);
});
document.getElementById("zoom-fit").addEventListener("click", () => zoomTo(0));
document.addEventListener("keydown", (event) => {
  if (event.code === "Space" && event.target === document.body) {
    event.preventDefault();
    playButton.click();
  }
});

// --- render from Python -----------------------------------------------------------------
function render(args) {
  const sources = Array.isArray(args.sources) ? args.sources : [];
  const regions = Array.isArray(args.regions) ? args.regions : [];
  state.height = Number(args.waveHeight) || state.height;
  state.hint = args.hint || "";
  state.maxPeak = Number(args.maxPeak) || 0;
  const signature = JSON.stringify([state.maxPeak, sources.map((s) => [s.url, s.duration, s.label])]);
  const regionsSignature = JSON.stringify([regions, sources.map((s) => s.regions || null)]);
  if (signature !== state.signature) {
    state.signature = signature;
    state.regionsSignature = regionsSignature;
    buildPlayers(sources, regions);
  } else if (regionsSignature !== state.regionsSignature) {
    state.regionsSignature = regionsSignature;
    state.players.forEach((player, index) => {
      player.source = sources[index];
      addRegions(player, Array.isArray(player.source.regions) ? player.source.regions : regions);
    });
  }
  showSourceButtons();
  const command = args.command;
  if (command && command.nonce !== undefined && command.nonce !== state.nonce) {
    state.nonce = command.nonce;
    // a command met on the first render (a page load, a remount) seeks but never plays
    state.pending = { start: Number(command.start) || 0, end: command.end,
      play: Boolean(command.play) && state.rendered };
    applyPending();
  }
  state.rendered = true;
  showState();
}

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") {
    render(event.data.args || {});
  }
});
new ResizeObserver(() => setFrameHeight(Math.ceil(root.getBoundingClientRect().height) + 6))
  .observe(root);
window.zzPlayer = { state, snapshot, switchTo, seekAndLoop };
post("streamlit:componentReady", { apiVersion: 1 });
