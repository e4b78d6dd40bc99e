// Draws every <div class="chart" data-spec="..."> with vega-embed as SVG.
(function () {
  function draw(el) {
    fetch(el.dataset.spec, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status + " " + r.statusText); }
        return r.json();
      })
      .then(function (spec) {
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
