/* The staff calendar's timeline: EventCalendar (static/vendor/event-calendar/) fed by
   /staff/calendar/data/, holding empty slots and moving bookings through the booking services
   (/staff/calendar/hold/, /staff/calendar/bookings/<id>/move/).

   Times travel as the wall clock of the facility's site, without an offset, and the calendar
   shows them as they are (floating times), so the page reads in the site's zone whatever zone
   the browser is in. No inline script or style: settings come from the JSON in
   #calendar-config, styles from classes and CSSOM properties. Phones (600 px or less) get the
   server-drawn day list instead, and the timeline is only built when the screen is wider. */
(function () {
  "use strict";

  var configElement = document.getElementById("calendar-config");
  var mount = document.getElementById("timeline");
  if (!configElement || !mount || typeof EventCalendar === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var words = config.words;
  var refusalBox = document.getElementById("calendar-refusal");
  var notice = document.getElementById("calendar-notice");
  var title = document.getElementById("window-title");
  var wide = window.matchMedia("(min-width: 601px)");
  var calendar = null;
  var warnings = {};
  var hours = { min: config.slotMinTime, max: config.slotMaxTime };
  var loaded = { key: null, promise: null };
  var retry = null; // the refused move, for its suggestions: function (facility, start, end)

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }
  function isoDay(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
  }
  function isoLocal(date) {
    return isoDay(date) + "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":00";
  }
  function minutes(date, count) {
    return new Date(date.getTime() + count * 60000);
  }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function urlWith(template, id) {
    return template.replace("/0/", "/" + id + "/");
  }

  /* One request per range gives both the rows and the events. */
  function load(info) {
    var key = isoDay(info.start) + "/" + isoDay(info.end);
    if (loaded.key !== key) {
      var params = new URLSearchParams({
        site: config.site,
        start: isoDay(info.start),
        end: isoDay(info.end),
      });
      if (config.kind) {
        params.set("kind", config.kind);
      }
      loaded.key = key;
      mount.dataset.state = "loading";
      loaded.promise = fetch(config.urls.data + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      }).then(function (response) {
        if (!response.ok) {
          loaded.key = null;
          throw new Error(words.failed);
        }
        return response.json();
      });
      loaded.promise.then(
        function () {
          mount.dataset.state = "ready";
        },
        function () {
          mount.dataset.state = "failed";
          showText(words.failed);
        },
      );
    }
    return loaded.promise;
  }

  function reload() {
    loaded.key = null;
    calendar.refetchEvents();
  }

  function applyHours(data) {
    if (data.slotMinTime !== hours.min || data.slotMaxTime !== hours.max) {
      hours = { min: data.slotMinTime, max: data.slotMaxTime };
      calendar.setOption("slotMinTime", hours.min);
      calendar.setOption("slotMaxTime", hours.max);
    }
  }

  /* What a booking says: its state in words, the event, the time, set-up and teardown drawn
     as paler ends, and the warnings of its event counted; the whole text is its tooltip. */
  function bookingContent(info) {
    var event = info.event;
    var props = event.extendedProps;
    if (!props.booking) {
      return undefined;
    }
    var length = (event.end - event.start) / 60000 || 1;
    var body = document.createElement("div");
    body.className = "booking-body";
    [
      ["setup", props.setup, "left"],
      ["teardown", props.teardown, "right"],
    ].forEach(function (end) {
      if (end[1] > 0) {
        var part = document.createElement("span");
        part.className = "buffer " + end[0];
        part.setAttribute("aria-hidden", "true");
        part.style.width = Math.min(100, (100 * end[1]) / length) + "%";
        part.style[end[2]] = "0";
        body.appendChild(part);
      }
    });
    var link = document.createElement("a");
    link.className = "booking-text";
    link.href = urlWith(config.urls.event, props.event);
    link.draggable = false;
    var state = document.createElement("strong");
    state.textContent = (props.status === "held" ? words.held : words.confirmed) + ":";
    var name = document.createElement("span");
    name.className = "booking-title";
    name.textContent = " " + event.title;
    var when = document.createElement("span");
    when.className = "booking-when";
    when.textContent = props.when;
    var listed = warnings[props.event] || [];
    if (listed.length) {
      var mark = document.createElement("span");
      mark.className = "booking-warning";
      mark.textContent = "⚠ " + listed.length;
      mark.setAttribute("aria-label", words.warnings + ": " + listed.join(" "));
      link.appendChild(mark);
    }
    link.appendChild(state);
    link.appendChild(name);
    link.appendChild(when);
    body.appendChild(link);
    return { domNodes: [body] };
  }

  function tooltip(info) {
    var event = info.event;
    var props = event.extendedProps;
    if (props.booking) {
      var lines = [
        (props.status === "held" ? words.held : words.confirmed) + ": " + event.title,
        words.buffers
          .replace("%(when)s", props.when)
          .replace("%(setup)s", props.setup)
          .replace("%(teardown)s", props.teardown),
      ];
      (warnings[props.event] || []).forEach(function (warning) {
        lines.push("⚠ " + warning);
      });
      info.el.title = lines.join("\n");
    } else if (typeof event.title === "string" && event.title) {
      info.el.title = event.title + (props.when ? " " + props.when : "");
    }
  }

  function classNames(info) {
    var props = info.event.extendedProps;
    return props.booking && (warnings[props.event] || []).length ? ["warned"] : [];
  }

  /* Refusals, in a region that says them (role=alert inside what the server renders). */
  function showRefusal(container, html, message) {
    container.textContent = "";
    if (html) {
      container.innerHTML = html;
    } else {
      var paragraph = document.createElement("p");
      paragraph.className = "notice error";
      paragraph.setAttribute("role", "alert");
      paragraph.textContent = message;
      container.appendChild(paragraph);
    }
  }
  function showText(message) {
    showRefusal(refusalBox, "", message);
  }
  function clearMessages() {
    refusalBox.textContent = "";
    notice.textContent = "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { message: response.statusText || String(response.status), errors: {} };
        })
        .then(function (data) {
          data.ok = response.ok;
          data.status = response.status;
          return data;
        });
    });
  }

  /* Moving a booking: the component moves its occupied time; the service is given the booking
     proper (set-up and teardown kept), and another facility when it was dropped on one. */
  function move(info) {
    var event = info.event;
    var props = event.extendedProps;
    var body = {
      start: isoLocal(minutes(event.start, props.setup)),
      end: isoLocal(minutes(event.end, -props.teardown)),
    };
    if (info.newResource) {
      body.facility = Number(info.newResource.id);
    }
    send(props.booking, body, info.revert);
  }

  function send(booking, body, revert) {
    clearMessages();
    post(urlWith(config.urls.move, booking), body).then(
      function (answer) {
        if (answer.ok) {
          retry = null;
          notice.textContent = answer.message || words.moved;
          reload();
          return;
        }
        if (revert) {
          revert();
        }
        retry = function (facility, start, end) {
          send(booking, { facility: facility, start: start, end: end }, null);
        };
        showRefusal(refusalBox, answer.html, answer.message);
      },
      function () {
        if (revert) {
          revert();
        }
        showText(words.failed);
      },
    );
  }

  refusalBox.addEventListener("click", function (clicked) {
    var button = clicked.target.closest("button.suggestion");
    if (button && retry) {
      retry(Number(button.dataset.facility), button.dataset.start, button.dataset.end);
    }
  });

  /* Holding a slot: a small dialog picks the event (filtered by typing) and the times. */
  var dialog = document.getElementById("hold-dialog");
  var holding = null; // {facility, start, end, dragged}

  function fieldErrors(errors) {
    ["event", "start", "end"].forEach(function (name) {
      var list = document.getElementById("hold-" + name + "-error");
      var input = name === "event" ? null : document.getElementById("hold-" + name);
      list.textContent = "";
      var messages = errors[name] || [];
      messages.forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      list.hidden = !messages.length;
      if (input) {
        if (messages.length) {
          input.setAttribute("aria-invalid", "true");
        } else {
          input.removeAttribute("aria-invalid");
        }
      }
    });
  }

  function openHold(resource, start, end, dragged) {
    if (!dialog || !resource || String(resource.id).indexOf("site-") === 0) {
      return;
    }
    holding = { facility: Number(resource.id), dragged: dragged };
    var form = document.getElementById("hold-form");
    var list = document.getElementById("hold-events");
    var filter = document.getElementById("hold-filter");
    form.reset();
    list.textContent = "";
    fieldErrors({});
    document.getElementById("hold-refusal").textContent = "";
    document.getElementById("hold-empty").hidden = true;
    document.getElementById("hold-start").value = isoLocal(start).slice(0, 16);
    document.getElementById("hold-end").value = isoLocal(end || minutes(start, 60)).slice(0, 16);
    document.getElementById("hold-where").textContent =
      (typeof resource.title === "string" ? resource.title : "") + ", " + isoDay(start);
    dialog.showModal();
    filter.focus();
    var params = new URLSearchParams({ facility: holding.facility, date: isoDay(start) });
    fetch(config.urls.candidates + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        (data.events || []).forEach(function (candidate) {
          var item = document.createElement("li");
          var label = document.createElement("label");
          var radio = document.createElement("input");
          radio.type = "radio";
          radio.name = "event";
          radio.value = candidate.id;
          radio.dataset.start = candidate.start.slice(0, 16);
          radio.dataset.end = candidate.end.slice(0, 16);
          label.appendChild(radio);
          label.appendChild(
            document.createTextNode(
              " " + candidate.title + (candidate.title_zh ? " " + candidate.title_zh : "") +
                " — " + candidate.when + " (" + candidate.status + ")",
            ),
          );
          item.dataset.search = (candidate.title + " " + candidate.title_zh).toLowerCase();
          item.appendChild(label);
          list.appendChild(item);
        });
        document.getElementById("hold-empty").hidden = (data.events || []).length > 0;
      });
  }

  if (dialog) {
    document.getElementById("hold-filter").addEventListener("input", function (typed) {
      var words_ = typed.target.value.toLowerCase().trim();
      document.querySelectorAll("#hold-events li").forEach(function (item) {
        item.hidden = words_ !== "" && item.dataset.search.indexOf(words_) === -1;
      });
    });
    document.getElementById("hold-events").addEventListener("change", function (changed) {
      // A click picks no length: the event's own times are the likely slot.
      if (holding && !holding.dragged && changed.target.dataset.start) {
        document.getElementById("hold-start").value = changed.target.dataset.start;
        document.getElementById("hold-end").value = changed.target.dataset.end;
      }
    });
    document.getElementById("hold-cancel").addEventListener("click", function () {
      dialog.close();
    });
    document.getElementById("hold-refusal").addEventListener("click", function (clicked) {
      var button = clicked.target.closest("button.suggestion");
      if (button) {
        holding.facility = Number(button.dataset.facility);
        document.getElementById("hold-start").value = button.dataset.start.slice(0, 16);
        document.getElementById("hold-end").value = button.dataset.end.slice(0, 16);
        submitHold();
      }
    });
    document.getElementById("hold-form").addEventListener("submit", function (submitted) {
      submitted.preventDefault();
      submitHold();
    });
  }

  function submitHold() {
    var picked = document.querySelector("#hold-events input:checked");
    var refusal = document.getElementById("hold-refusal");
    refusal.textContent = "";
    post(config.urls.hold, {
      event: picked ? Number(picked.value) : null,
      facility: holding.facility,
      start: document.getElementById("hold-start").value,
      end: document.getElementById("hold-end").value,
    }).then(
      function (answer) {
        fieldErrors(answer.errors || {});
        if (answer.ok) {
          dialog.close();
          clearMessages();
          notice.textContent = answer.message || words.held_ok;
          reload();
          return;
        }
        // Refusals of a field are shown at the field; a clash or anything else above the buttons.
        var named = ["event", "start", "end"].filter(function (name) {
          return (answer.errors || {})[name];
        });
        if (answer.status === 409 || !named.length) {
          showRefusal(refusal, answer.html, answer.message);
        }
      },
      function () {
        showRefusal(refusal, "", words.failed);
      },
    );
  }

  /* Where the page is: the heading, the address and the links follow the calendar's dates. */
  function datesSet(info) {
    title.textContent = info.view.title;
    var day = isoDay(calendar ? calendar.getOption("date") : info.start);
    var view = info.view.type === "resourceTimelineDay" ? "day" : "week";
    var params = new URLSearchParams(window.location.search);
    params.set("date", day);
    params.set("view", view);
    params.set("site", config.site);
    window.history.replaceState(null, "", "?" + params.toString());
    var dateField = document.getElementById("id_date");
    if (dateField) {
      dateField.value = day;
    }
    document.querySelectorAll(".view-switch a[data-view]").forEach(function (link) {
      var target = new URLSearchParams(link.search);
      target.set("date", day);
      link.search = "?" + target.toString();
      if (link.dataset.view === view) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }

  function daySlotWidth() {
    var slots = 2 * (parseInt(hours.max, 10) - parseInt(hours.min, 10));
    return Math.max(24, Math.floor((mount.clientWidth - 240) / Math.max(slots, 1)));
  }

  function build() {
    if (calendar || !wide.matches) {
      return;
    }
    calendar = EventCalendar.create(mount, {
      view: config.view,
      date: config.date,
      firstDay: 1,
      height: "auto",
      // "en" alone is read as American (12/2 for 2 December); the office writes dates British.
      locale: (document.documentElement.lang || "en") === "en" ? "en-GB" : document.documentElement.lang,
      headerToolbar: {
        start: "prev,today,next",
        center: "",
        end: "resourceTimelineDay,resourceTimelineWeek",
      },
      buttonText: function (text) {
        text.today = words.today;
        text.resourceTimelineDay = words.day;
        text.resourceTimelineWeek = words.week;
        return text;
      },
      slotMinTime: hours.min,
      slotMaxTime: hours.max,
      // A tick every hour. A day fits the screen in half hours; a week is seven days of hours
      // and scrolls sideways inside the timeline (never the page).
      views: {
        resourceTimelineDay: {
          slotDuration: "00:30",
          slotLabelInterval: "01:00",
          slotWidth: daySlotWidth(),
          slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
        },
        resourceTimelineWeek: {
          slotDuration: "01:00",
          slotLabelInterval: "01:00",
          slotWidth: 34,
          slotLabelFormat: { hour: "2-digit", hour12: false },
          dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
        },
      },
      snapDuration: "00:15",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      refetchResourcesOnNavigate: true,
      resources: function (info) {
        return load(info).then(function (data) {
          return data.resources;
        });
      },
      eventSources: [
        {
          events: function (info) {
            return load(info).then(function (data) {
              warnings = data.warnings || {};
              applyHours(data);
              return data.events;
            });
          },
        },
      ],
      eventContent: bookingContent,
      eventDidMount: tooltip,
      eventClassNames: classNames,
      resourceLabelContent: function (info) {
        var props = info.resource.extendedProps || {};
        if (props.capacity === undefined) {
          return info.resource.title; // a site, heading its facilities
        }
        var box = document.createElement("span");
        box.className = "resource-label";
        var name = document.createElement("strong");
        name.textContent = info.resource.title + (props.zh ? " " + props.zh : "");
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = props.capacity + (props.hours ? " · " + props.hours : "");
        box.appendChild(name);
        box.appendChild(meta);
        return { domNodes: [box] };
      },
      selectable: Boolean(config.canHold),
      select: function (info) {
        openHold(info.resource, info.start, info.end, true);
        calendar.unselect();
      },
      dateClick: function (info) {
        if (config.canHold) {
          openHold(info.resource, info.date, null, false);
        }
      },
      editable: Boolean(config.canMove),
      eventDrop: move,
      eventResize: move,
      datesSet: datesSet,
    });
  }

  build();
  wide.addEventListener("change", build);
})();
