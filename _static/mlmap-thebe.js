/**
 * "Live Code" with thebe 0.9.x on pages built by sphinx-thebe 0.3.1 (written for thebe 0.8).
 *
 * What this replaces in sphinx-thebe's `initThebe`, and why:
 * - it calls `thebelab.bootstrap()` without options; thebe 0.9 then forces Binder and never asks
 *   for a kernel. We pass `requestKernel: true`, and when the book is served by `make serve` (which
 *   answers `_thebe_server.json`) `useBinder: false` with that server's `serverSettings`.
 * - its status text always said "Launching from mybinder.org"; we name the server actually used.
 * - its `thebe-init` auto-run clicked `.thebelab-run-button`, renamed `.thebe-run-button` in 0.9,
 *   so it threw and no init cell ran.
 * - under `make serve`, thebe's own JavaScript comes from that server (`thebeUrl`), not the CDN.
 * - its editors used the dark "abcdef" CodeMirror theme at a fixed height; ours follow the page.
 * sphinx-thebe's `modifyDOMForThebe` (marking up the code cells) is still used as it is.
 */
(() => {
  const SERVER_INFO = "_thebe_server.json";
  let started = false;
  let initDone = false;
  let where = "";

  const contentRoot = () =>
    new URL(document.documentElement.dataset.content_root || "./", document.baseURI);

  async function localServer() {
    try {
      const response = await fetch(new URL(SERVER_INFO, contentRoot()), { cache: "no-store" });
      if (!response.ok) return null;
      const info = await response.json();
      return info && info.baseUrl && info.token ? info : null;
    } catch (error) {
      return null; // a static host (GitHub Pages, a file) has no local server: use Binder
    }
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.addEventListener("load", resolve);
      script.addEventListener("error", () => reject(new Error(`could not load ${src}`)));
      document.head.appendChild(script);
    });
  }

  function loadThebe(url) {
    if (typeof thebelab !== "undefined") return Promise.resolve();
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = url.replace(/index\.js$/, "thebe.css");
    document.head.appendChild(css);
    return loadScript(url);
  }

  function showStatus(status, text) {
    const button = document.querySelector(".thebe-launch-button");
    if (!button) return;
    button.className = button.className.replace(/\s*thebe-status-\S+/g, "") + ` thebe-status-${status}`;
    button.dataset.thebeStatus = status;
    const spinner = status === "ready" || status === "failed" ? "" :
      '<div class="spinner"><div class="rect1"></div><div class="rect2"></div><div class="rect3"></div><div class="rect4"></div></div>';
    button.innerHTML = `${spinner}<span class="loading-text"><span class="launch_msg">${where}: </span><span class="status">${text}</span></span>`;
  }

  function runInitCells() {
    // the kernel queues these requests, so the cells run in page order
    document.querySelectorAll(".thebe-init, .tag_thebe-init").forEach((cell) => {
      const run = cell.querySelector(".thebe-run-button");
      if (run) run.click();
    });
  }

  function onStatus(event, data) {
    const { subject, status, message } = data || {};
    console.log("[mlmap-thebe] status:", subject, status, message);
    if (status === "error") {
      showStatus("failed", message || "failed");
    } else if (subject === "notebook" && status === "attached") {
      // the cells have a kernel now (a "ready" session comes earlier, and again at every busy/idle)
      showStatus("ready", "ready");
      if (!initDone) {
        initDone = true;
        runInitCells();
      }
    } else if (subject === "server" || (subject === "session" && status !== "ready")) {
      showStatus(status, status);
    }
  }

  async function initThebe() {
    if (started) return;
    started = true;
    where = "Live Code";
    showStatus("loading", "loading thebe");
    try {
      const local = await localServer();
      where = local ? `Local Jupyter server (${new URL(local.baseUrl).host})` : "Launching from mybinder.org";
      // `make serve` also serves thebe itself, so Live Code needs no internet; elsewhere: the CDN
      await loadThebe(local && local.thebeUrl ? new URL(local.thebeUrl, contentRoot()).href : THEBE_JS_URL);
      thebelab.on("status", onStatus);
      modifyDOMForThebe();
      // our "mlmap" CodeMirror theme (_static/mlmap-thebe.css) follows the page's light or dark colours;
      // viewportMargin: Infinity renders every line, so the editor is as tall as its code
      const options = {
        requestKernel: true,
        useBinder: !local,
        codeMirrorConfig: { theme: "mlmap", mode: "python", viewportMargin: Infinity },
      };
      if (local) {
        options.serverSettings = { baseUrl: local.baseUrl, wsUrl: local.wsUrl, token: local.token, appendToken: true };
      }
      await thebelab.bootstrap(options);
    } catch (error) {
      console.error("[mlmap-thebe]", error);
      showStatus("failed", String(error.message || error));
      started = false;
    }
  }

  // sphinx-thebe.js loads asynchronously and defines its own initThebe: replace it once it is there
  window.initThebe = initThebe;
  window.addEventListener("load", () => { window.initThebe = initThebe; });
})();
