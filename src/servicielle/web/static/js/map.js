/* Servicielle — cartes Leaflet des périmètres (ES2017, sans étape de build).
 * À charger après vendor/leaflet/leaflet.js. Pour chaque élément .map[data-geojson-url] :
 *   data-geojson-url        FeatureCollection GeoJSON (même origine)
 *   data-tile-url           fond de carte facultatif (aucun fond si vide : fonctionne hors ligne)
 *   data-tile-attribution   attribution du fond de carte
 *   data-error-text         message affiché si le chargement échoue
 *   data-population-label   facultatif, ex. « habitants »
 *   data-zoom-in-title, data-zoom-out-title  libellés traduits des boutons de zoom
 */
(function () {
  'use strict';

  const lang = document.documentElement.lang || undefined;
  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function tooltipFor(properties, label) {
    const box = document.createElement('div');
    const name = document.createElement('strong');
    name.textContent = properties.name || properties.nom || '';
    box.appendChild(name);
    if (typeof properties.population === 'number') {
      box.appendChild(document.createElement('br'));
      const count = properties.population.toLocaleString(lang);
      box.appendChild(document.createTextNode(label ? count + '\u00a0' + label : count));
    }
    return box;
  }

  function showError(el) {
    el.classList.add('map-error');
    el.textContent = el.dataset.errorText || '';
  }

  async function initMap(el) {
    let data;
    try {
      const response = await fetch(el.dataset.geojsonUrl, {
        credentials: 'same-origin',
        headers: { Accept: 'application/geo+json, application/json' },
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      data = await response.json();
    } catch (err) {
      showError(el);
      return;
    }
    const map = L.map(el, {
      scrollWheelZoom: false, zoomSnap: 0.25,
      zoomControl: false,
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
    });
    // Leaflet gives each zoom button a title and an aria-label from these options.
    L.control.zoom({
      zoomInTitle: el.dataset.zoomInTitle || 'Zoom in',
      zoomOutTitle: el.dataset.zoomOutTitle || 'Zoom out',
    }).addTo(map);
    const tileUrl = el.dataset.tileUrl;
    if (typeof tileUrl === 'string' && tileUrl.trim() !== '') {
      L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || '' }).addTo(map);
    }
    const label = el.dataset.populationLabel || '';
    const layer = L.geoJSON(data, {
      style: { color: '#1d4ed8', weight: 2, fillColor: '#93c5fd', fillOpacity: 0.3 },
      // Circles, not Leaflet's marker images: light, and styled like the outlines.
      pointToLayer(_feature, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: '#1d4ed8', weight: 1, fillOpacity: 0.7 });
      },
      onEachFeature(feature, featureLayer) {
        featureLayer.bindTooltip(tooltipFor(feature.properties || {}, label), { sticky: true });
      },
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([46.6, 2.4], 5);
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.map[data-geojson-url]').forEach(initMap);
  });
})();
