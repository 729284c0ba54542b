// The visit planner: when the site changes, each stop offers that site's facilities (and
// tenant premises within reach) at once, from the list the page carries (#stop-places, made
// by desk.visits.stop_places, the rule the server checks again). Without this script the
// "Offer this site's facilities" button sends the form back to be drawn for the site.
(function () {
  "use strict";
  var site = document.getElementById("id_site");
  var data = document.getElementById("stop-places");
  if (!site || !data) return;
  var places = JSON.parse(data.textContent);
  var button = document.getElementById("choose-site");
  if (button) button.hidden = true;

  function offer(select, facilities) {
    var chosen = select.value;
    var blank = select.querySelector('option[value=""]');
    var options = [];
    if (blank) options.push(blank);
    facilities.forEach(function (facility) {
      var option = document.createElement("option");
      option.value = String(facility[0]);
      option.textContent = facility[1];
      options.push(option);
    });
    select.replaceChildren.apply(select, options);
    // Keep the choice when the new site offers it too; otherwise the stop has none yet.
    select.value = chosen;
    if (select.value !== chosen) select.value = "";
  }

  function narrow() {
    var facilities = places[site.value];
    if (!facilities) return;
    document.querySelectorAll('select[id^="id_stops-"][id$="-facility"]').forEach(function (select) {
      offer(select, facilities);
    });
  }

  site.addEventListener("change", narrow);
  narrow(); // a site the browser kept from before (back, reload) may not be the one drawn
})();
