/* Servicielle — cartes des signalements (ES2017, sans étape de build).
 * À charger après vendor/leaflet/leaflet.js. Trois sortes de cartes :
 *   .reports-map[data-map-url]        la liste : points GeoJSON de /signalements/carte.json
 *   .report-pin-map                   le formulaire : toucher la carte pose l'épingle, qui
 *                                     remplit les champs cachés #lat, #lon, #located_by ;
 *                                     #pin-status (role=status) dit ce qui s'est passé
 *   .report-location-map[data-lat]    la page d'un signalement : son point
 * Communs : data-tile-url (aucun fond si vide : fonctionne hors ligne), data-tile-attribution,
 * data-outline-url (contours des communes, qui situent les points sans fond de carte),
 * data-error-text, data-zoom-in-title, data-zoom-out-title.
 * Sans JavaScript, le formulaire se remplit avec la commune et l'adresse : le bloc de la
 * carte (.report-pin, attribut hidden) n'apparaît que lorsque ce script tourne.
 */
(function () {
  'use strict';

  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const FRANCE = [46.6, 2.4];

  function baseMap(el) {
    const fallback = el.querySelector('.map-fallback');
    if (fallback) fallback.remove();
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
    return map;
  }

  // The outlines are context: a failure leaves the map without them, never broken.
  async function addOutlines(map, url) {
    if (!url) return null;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) return null;
      const outlines = L.geoJSON(await response.json(), {
        interactive: false,
        style: { color: '#6b7280', weight: 1, fill: true, fillColor: '#ffffff', fillOpacity: 0.6 },
      }).addTo(map);
      outlines.bringToBack();
      return outlines;
    } catch (err) {
      return null;
    }
  }

  function fitOutlines(map, outlines) {
    if (outlines && outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds());
  }

  function showError(el) {
    el.classList.add('map-error');
    el.textContent = el.dataset.errorText || '';
  }

  /* ---------- The list's map ---------- */

  function popupFor(properties, el) {
    const box = document.createElement('div');
    const name = document.createElement('strong');
    name.textContent = properties.category;
    box.appendChild(name);
    const status = document.createElement('p');
    status.textContent = properties.status_label;
    box.appendChild(status);
    const link = document.createElement('a');
    link.href = properties.url;
    link.textContent = (el.dataset.linkTemplate || '{id}').replace('{id}', String(properties.id));
    box.appendChild(link);
    return box;
  }

  async function initListMap(el) {
    let data;
    try {
      const response = await fetch(el.dataset.mapUrl, {
        credentials: 'same-origin',
        headers: { Accept: 'application/geo+json, application/json' },
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      data = await response.json();
    } catch (err) {
      showError(el);
      return;
    }
    const map = baseMap(el);
    map.setView(FRANCE, 5);
    const outlines = addOutlines(map, el.dataset.outlineUrl);
    const points = [];
    L.geoJSON(data, {
      pointToLayer(feature, latlng) {
        points.push(latlng);
        const open = feature.properties.open311_status === 'open';
        return L.circleMarker(latlng, {
          radius: 7, weight: 2,
          color: open ? '#1d4ed8' : '#374151',
          fillColor: open ? '#1d4ed8' : '#ffffff',
          fillOpacity: open ? 0.8 : 1,
        });
      },
      onEachFeature(feature, layer) {
        layer.bindPopup(popupFor(feature.properties, el));
      },
    }).addTo(map);
    if (points.length) {
      map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 16 });
    } else {
      fitOutlines(map, await outlines);
    }
  }

  /* ---------- The form's pin ---------- */

  function initPinMap(el) {
    const block = el.closest('[data-pin]');
    const lat = document.getElementById('lat');
    const lon = document.getElementById('lon');
    const source = document.getElementById('located_by');
    const status = document.getElementById('pin-status');
    const locate = document.getElementById('locate-me');
    const centre = document.getElementById('pin-centre');
    const clear = document.getElementById('pin-clear');
    if (!block || !lat || !lon || !source) return;
    // Shown before Leaflet measures the container.
    block.hidden = false;
    const map = baseMap(el);
    const icon = L.divIcon({ className: 'report-pin-marker', iconSize: [22, 22] });
    let marker = null;

    function announce(text) {
      if (!status) return;
      // Emptied first, so that the same sentence twice is read twice.
      status.textContent = '';
      window.setTimeout(function () { status.textContent = text || ''; }, 50);
    }

    function setPin(latlng, how, text) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.marker(latlng, { icon: icon, interactive: false, keyboard: false }).addTo(map);
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      source.value = how;
      if (clear) clear.hidden = false;
      if (text !== null) announce(text);
    }

    map.on('click', function (event) {
      setPin(event.latlng, 'map', el.dataset.placedText);
    });
    if (centre) {
      centre.addEventListener('click', function () {
        setPin(map.getCenter(), 'map', el.dataset.placedText);
      });
    }
    if (clear) {
      clear.addEventListener('click', function () {
        if (marker) map.removeLayer(marker);
        marker = null;
        lat.value = '';
        lon.value = '';
        source.value = '';
        clear.hidden = true;
        announce(el.dataset.clearedText);
        el.focus();
      });
    }
    if (locate && 'geolocation' in navigator) {
      locate.hidden = false;
      locate.addEventListener('click', function () {
        announce(el.dataset.locatingText);
        navigator.geolocation.getCurrentPosition(function (position) {
          const here = L.latLng(position.coords.latitude, position.coords.longitude);
          setPin(here, 'device', el.dataset.deviceText);
          map.setView(here, 17);
        }, function () {
          announce(el.dataset.deniedText);
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }

    const outlines = addOutlines(map, el.dataset.outlineUrl);
    // L.latLng throws on NaN: the values are checked first.
    const startLat = parseFloat(lat.value);
    const startLon = parseFloat(lon.value);
    if (isFinite(startLat) && isFinite(startLon)) {
      // Back from step 2 or from an error: the pin where it was, the status already says so.
      const start = L.latLng(startLat, startLon);
      map.setView(start, 16);
      setPin(start, source.value === 'device' ? 'device' : 'map', null);
    } else {
      map.setView(FRANCE, 5);
      outlines.then(function (layer) { fitOutlines(map, layer); });
    }
  }

  /* ---------- One report's place ---------- */

  function initLocationMap(el) {
    const lat = parseFloat(el.dataset.lat);
    const lon = parseFloat(el.dataset.lon);
    if (!isFinite(lat) || !isFinite(lon)) return;
    const point = L.latLng(lat, lon);
    const map = baseMap(el);
    map.setView(point, 16);
    addOutlines(map, el.dataset.outlineUrl);
    L.marker(point, {
      icon: L.divIcon({ className: 'report-pin-marker', iconSize: [22, 22] }),
      interactive: false, keyboard: false,
    }).addTo(map);
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (typeof L === 'undefined') return;
    document.querySelectorAll('.reports-map[data-map-url]').forEach(initListMap);
    document.querySelectorAll('.report-pin-map').forEach(initPinMap);
    document.querySelectorAll('.report-location-map[data-lat]').forEach(initLocationMap);
  });
})();
