// Draws the catalogue map (good practices and territories) from the map's JSON data address.
// The list below the map shows the same content, so the page works without this script,
// without a background map and when the tiles fail to load. Popups are built from DOM nodes:
// Leaflet puts strings into innerHTML.
(function () {
  "use strict";

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  function link(url, text) {
    var a = node("a", "", text);
    a.href = url;
    return a;
  }

  function escapeHtml(text) {
    // For the layer control, which puts its names into innerHTML.
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function swatch(kind) {
    // The layer control's legend: the marker's shape before each name (decorative).
    return '<span class="map-swatch map-swatch--' + kind + '" aria-hidden="true"></span>';
  }

  function interventionList(slugs, data) {
    var list = node("ul");
    slugs.forEach(function (slug) {
      var intervention = data.interventions[slug];
      if (!intervention) { return; }
      var item = node("li");
      var a = link(intervention.url, intervention.title);
      if (intervention.language !== data.language) { a.lang = intervention.language; }
      item.appendChild(a);
      list.appendChild(item);
    });
    return list;
  }

  function practicePopup(point, data) {
    var wrap = node("div", "map-popup");
    var heading = node("h2");
    heading.appendChild(link(point.url, point.title));
    wrap.appendChild(heading);
    var place = node("p", "", point.period ? point.place + ", " + point.period : point.place);
    wrap.appendChild(place);
    if (point.language !== data.language) { heading.lang = place.lang = point.language; }
    if (point.interventions.length) {
      wrap.appendChild(node("p", "", data.labels.interventions));
      wrap.appendChild(interventionList(point.interventions, data));
    }
    return wrap;
  }

  function territoryPopup(point, data) {
    var wrap = node("div", "map-popup");
    wrap.appendChild(node("h2", "", point.name));
    wrap.appendChild(node("p", "", data.labels.territory_interventions));
    wrap.appendChild(interventionList(point.interventions, data));
    return wrap;
  }

  function pin(kind, label) {
    // The marker is a keyboard-focusable button: its hidden text is its accessible name.
    return L.divIcon({
      className: "map-pin map-pin--" + kind,
      html: node("span", "visually-hidden", label),
      iconSize: [18, 18],
      popupAnchor: [0, -6]
    });
  }

  function clusterGroup(kind, label) {
    return L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 50,
      iconCreateFunction: function (cluster) {
        var box = node("span");
        box.appendChild(node("span", "visually-hidden", label + ": "));
        box.appendChild(document.createTextNode(String(cluster.getChildCount())));
        return L.divIcon({ className: "map-cluster map-cluster--" + kind, html: box, iconSize: [38, 38] });
      }
    });
  }

  function addPoints(group, points, kind, title, popup, data, bounds) {
    points.forEach(function (point) {
      var marker = L.marker([point.lat, point.lon], { icon: pin(kind, title(point)), title: title(point) });
      marker.bindPopup(popup(point, data));
      group.addLayer(marker);
      bounds.push([point.lat, point.lon]);
    });
  }

  function load(element) {
    var source = document.getElementById(element.dataset.catalogMap);
    if (!source || typeof L === "undefined" || typeof L.markerClusterGroup === "undefined") { return; }
    var config = JSON.parse(source.textContent);
    // The points come from the map's data address; without them the list below still serves.
    fetch(config.data_url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (points) {
        if (points) { draw(element, Object.assign(points, config)); }
      })
      .catch(function () {});
  }

  function draw(element, data) {
    if (!data.good_practices.length && !data.territories.length) { return; }
    element.hidden = false;
    var labels = data.labels;
    // Clustering needs the map to know its zoom range, tiles or not.
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false, minZoom: 3, maxZoom: 18 });
    L.control.zoom({ zoomInTitle: labels.zoom_in, zoomOutTitle: labels.zoom_out }).addTo(map);
    if (data.tiles) {
      var tiles = L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 18 });
      tiles.once("tileerror", function () {
        var note = document.getElementById("catalog-map-tiles-failed");
        if (note) { note.hidden = false; }
      });
      tiles.addTo(map);
    }
    var bounds = [];
    var practices = clusterGroup("practice", labels.good_practices);
    addPoints(practices, data.good_practices, "practice", function (p) { return p.title; }, practicePopup, data, bounds);
    var territories = clusterGroup("territory", labels.territories);
    addPoints(territories, data.territories, "territory", function (t) { return t.name; }, territoryPopup, data, bounds);
    var overlays = {};
    if (data.good_practices.length) {
      practices.addTo(map);
      overlays[swatch("practice") + escapeHtml(labels.good_practices)] = practices;
    }
    if (data.territories.length) {
      territories.addTo(map);
      overlays[swatch("territory") + escapeHtml(labels.territories)] = territories;
    }
    // Keep the points clear of the layer control in the top right corner.
    var padTop = 30;
    var padRight = 30;
    if (Object.keys(overlays).length > 1) {
      // Open on wide maps; on narrow ones a button that opens it (click, tap or keyboard).
      var narrow = element.offsetWidth < 600;
      var control = L.control.layers(null, overlays, { collapsed: narrow }).addTo(map);
      var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
      if (toggle) { toggle.title = labels.layers; toggle.setAttribute("aria-label", labels.layers); }
      padTop += control.getContainer().offsetHeight;
      padRight += control.getContainer().offsetWidth;
    }
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", labels.close); close.title = labels.close; }
    });
    map.fitBounds(bounds, { paddingTopLeft: [50, padTop], paddingBottomRight: [padRight, 30], maxZoom: 12 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-catalog-map]").forEach(load);
  });
})();
