/* Servicielle — cartes des résultats et des réalisations (ES2017, sans étape de build).
 * À charger après vendor/leaflet/leaflet.js. Pour chaque élément .pr-map[data-points] :
 *   data-points             JSON [{title, lat, lon, selected}]
 *   data-funded-label, data-not-funded-label  libellés des deux états
 *   data-tile-url           fond de carte facultatif (aucun fond si vide : fonctionne hors ligne)
 *   data-tile-attribution   attribution du fond de carte
 *   data-zoom-in-title, data-zoom-out-title, data-error-text
 * La liste des projets, sur la même page, donne la même information sans la carte.
 */
(function () {
  'use strict';

  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function initMap(el) {
    let points;
    try {
      points = JSON.parse(el.dataset.points || '[]');
    } catch (err) {
      el.textContent = el.dataset.errorText || '';
      return;
    }
    if (!window.L || !points.length) return;
    const map = L.map(el, {
      scrollWheelZoom: false,
      zoomControl: false,
      zoomAnimation: !reduceMotion,
      fadeAnimation: !reduceMotion,
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
    const bounds = [];
    points.forEach(function (p) {
      // Filled disc when funded, hollow circle when not: the shape says it, not the colour.
      const marker = L.circleMarker([p.lat, p.lon], {
        radius: 9,
        weight: 3,
        color: p.selected ? '#166534' : '#4b5563',
        fillColor: p.selected ? '#166534' : '#ffffff',
        fillOpacity: 1,
      });
      const label = p.title + ' — ' +
        (p.selected ? el.dataset.fundedLabel : el.dataset.notFundedLabel);
      marker.bindTooltip(label);
      marker.addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    }
  }

  document.querySelectorAll('.pr-map[data-points]').forEach(initMap);
})();
