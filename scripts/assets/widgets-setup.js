/*
 * Loaded on pages with widgets, after require.js and before html-manager's embed-amd.js
 * (see nb_ipywidgets_js in _config.yml). Copied next to embed-amd.js by
 * scripts/vendor_assets.py. It makes the widget runtime work from this site alone:
 *
 * 1. embed-amd.js finds its icon fonts relative to the AMD module URL
 *    "@jupyter-widgets/html-manager/dist/...", which RequireJS resolves against the page, so
 *    the fonts 404 from any page below the root. Map that module path to this folder.
 * 2. For a widget module it does not bundle (only base, controls and output are built in),
 *    embed-amd.js falls back to jsDelivr. Point that fallback at this site instead (the last
 *    script tag carrying data-jupyter-widgets-cdn wins), so such a module fails with a 404
 *    here and never leaves the host.
 * 3. ipywidgets 8 typesets widget descriptions with the MathJax 2 API
 *    (MathJax.Hub.Queue), which MathJax 3 does not have: every widget with a description
 *    throws. Provide that one call on top of MathJax 3's typesetPromise.
 */
(function () {
  "use strict";
  var here = new URL(".", document.currentScript.src).href; // .../_static/html-manager/
  window.requirejs.config({
    paths: { "@jupyter-widgets/html-manager/dist": here.replace(/\/$/, "") },
  });
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", here + "no-cdn/");

  function typeset(elements) {
    var mj = window.MathJax;
    if (!mj || !mj.startup || !mj.typesetPromise) return;
    mj.startup.promise
      .then(function () { return mj.typesetPromise(elements); })
      .catch(function (err) { console.error("MathJax typeset failed", err); });
  }

  function installHubShim() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.version || mj.version.charAt(0) !== "3") return;
    mj.Hub = {
      // Queue(["Typeset", MathJax.Hub, element], ...) as ipywidgets calls it.
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (cmd) {
          if (Array.isArray(cmd) && cmd[0] === "Typeset") {
            typeset(cmd[2] ? [cmd[2]] : undefined);
          }
        });
      },
    };
  }
  // MathJax (defer) has run by the time "load" fires; this listener is registered before
  // embed-amd.js registers the one that renders the widgets, so it runs first.
  if (document.readyState === "complete") {
    installHubShim();
  } else {
    window.addEventListener("load", installHubShim);
  }
})();
