// Draws every <div class="chart" data-spec="..."> with vega-embed as SVG.
(function () {
  function draw(el) {
    fetch(el.dataset.spec, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status + " " + r.statusText); }
        return r.json();
      })
      .then(function (spec) {
        // Vega-Lite sizes only single and layered views to their container; stacked
        // panels (pain: during/after and morning) get the container's width here.
        (spec.vconcat || []).forEach(function (panel) {
          if (panel.width === "container") { panel.width = Math.max(180, el.clientWidth - 70); }
        });
        return vegaEmbed(el, spec, { renderer: "svg", actions: false });
      })
      .then(function () { el.dataset.drawn = "yes"; })
      .catch(function (err) {
        el.dataset.drawn = "failed";
        el.textContent = String(err);
      });
  }
  document.querySelectorAll(".chart[data-spec]").forEach(draw);
})();
