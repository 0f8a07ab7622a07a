// Draws the organisations of a page on a Leaflet map; the page's list works without it.
(function () {
  "use strict";
  function draw(element) {
    var source = document.getElementById(element.dataset.map);
    if (!source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data.points.length) { element.hidden = true; return; }
    var map = L.map(element, { scrollWheelZoom: false });
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 18 }).addTo(map);
    }
    var bounds = [];
    data.points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], { radius: 7, color: "#0b4f8a", weight: 2, fillOpacity: 0.7 });
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      var wrap = document.createElement("div");
      wrap.appendChild(link);
      wrap.appendChild(document.createElement("br"));
      wrap.appendChild(document.createTextNode(point.kind));
      marker.bindPopup(wrap);
      // A DOM node, not a string: Leaflet puts strings into innerHTML.
      var label = document.createElement("span");
      label.textContent = point.name;
      marker.bindTooltip(label);
      marker.addTo(map);
      bounds.push([point.lat, point.lon]);
    });
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(draw);
  });
})();
