/* Servicielle — carte de chaleur des signalements (ES2017, sans étape de build).
 * À charger après vendor/leaflet/leaflet.js. Pour chaque élément .reports-heatmap[data-cells] :
 *   data-cells              JSON [[sud, ouest, nord, est, nombre, couleur, commune], …]
 *   data-outline-url        contours des communes (GeoJSON), dessinés sous les carrés
 *   data-tile-url           fond de carte facultatif (aucun fond si vide : fonctionne hors ligne)
 *   data-tile-attribution   attribution du fond de carte
 *   data-count-template     « {count} signalements », traduit
 *   data-error-text, data-zoom-in-title, data-zoom-out-title  libellés traduits
 * La légende et les tableaux de la page donnent les mêmes informations sans la carte.
 */
(function () {
  'use strict';

  const lang = document.documentElement.lang || undefined;
  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function tooltip(cell, el) {
    const box = document.createElement('div');
    const name = document.createElement('strong');
    name.textContent = cell[6] || '';
    box.appendChild(name);
    box.appendChild(document.createElement('br'));
    const count = Number(cell[4]).toLocaleString(lang);
    box.appendChild(document.createTextNode(
      (el.dataset.countTemplate || '{count}').replace('{count}', count)));
    return box;
  }

  async function addOutlines(map, url, fit) {
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) return;
      const outlines = L.geoJSON(await response.json(), {
        interactive: false,
        style: { color: '#6b7280', weight: 1, fill: true, fillColor: '#ffffff', fillOpacity: 0.6 },
      }).addTo(map);
      outlines.bringToBack();
      if (fit && outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds());
    } catch (err) {
      // The squares matter, the outlines are context: the map goes on without them.
    }
  }

  function initMap(el) {
    let cells;
    try {
      cells = JSON.parse(el.dataset.cells || '[]');
    } catch (err) {
      el.classList.add('map-error');
      el.textContent = el.dataset.errorText || '';
      return;
    }
    const map = L.map(el, {
      scrollWheelZoom: false, zoomSnap: 0.25, zoomControl: false,
      zoomAnimation: !reduceMotion, fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
    });
    L.control.zoom({
      zoomInTitle: el.dataset.zoomInTitle || 'Zoom in',
      zoomOutTitle: el.dataset.zoomOutTitle || 'Zoom out',
    }).addTo(map);
    const tileUrl = el.dataset.tileUrl;
    if (typeof tileUrl === 'string' && tileUrl.trim() !== '') {
      L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || '' }).addTo(map);
    }
    addOutlines(map, el.dataset.outlineUrl, !cells.length);
    if (cells.length) {
      const bounds = L.latLngBounds(cells.map(function (c) { return [[c[0], c[1]], [c[2], c[3]]]; })
        .reduce(function (all, pair) { return all.concat(pair); }, []));
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
    } else {
      map.setView([45.95, -0.98], 10);
    }
    const layer = L.layerGroup().addTo(map);
    cells.forEach(function (cell) {
      L.rectangle([[cell[0], cell[1]], [cell[2], cell[3]]], {
        color: '#374151', weight: 0.5, fillColor: cell[5], fillOpacity: 0.75,
      }).bindTooltip(tooltip(cell, el), { sticky: true }).addTo(layer);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.reports-heatmap[data-cells]').forEach(initMap);
  });
})();
