// Person pickers: suggestions while typing, for every field marked data-people-search (the URL
// of desk.views.people.people_search). A one-person <input> gets a <datalist> of suggestions;
// a several-people <textarea> (one person per line) gets a search box whose chosen suggestion
// is added as a line. Without this script the fields still work: typed names are looked up
// when the form is sent (desk.people.person_from_text).
(function () {
  "use strict";
  var WAIT_MS = 150;
  var CHOSEN = /\[#\d+\]\s*$/;

  function suggest(input, list, url) {
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (CHOSEN.test(text) || text.length < 1 || text === asked) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        asked = text;
        fetch(url + "?q=" + encodeURIComponent(text), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.ok ? response.json() : { results: [] };
          })
          .then(function (data) {
            if (input.value.trim() !== text) return; // typed on since
            list.replaceChildren();
            data.results.forEach(function (person) {
              var option = document.createElement("option");
              option.value = person.label;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, WAIT_MS);
    });
  }

  function datalistFor(field, suffix) {
    var list = document.createElement("datalist");
    list.id = (field.id || "people") + suffix;
    field.parentNode.insertBefore(list, field.nextSibling);
    return list;
  }

  function single(input) {
    var list = datalistFor(input, "-suggestions");
    input.setAttribute("list", list.id);
    suggest(input, list, input.dataset.peopleSearch);
  }

  function several(textarea) {
    var box = document.createElement("input");
    box.type = "search";
    box.id = textarea.id + "-find";
    box.className = "people-find";
    box.autocomplete = "off";
    var label = document.createElement("label");
    label.htmlFor = box.id;
    label.className = "people-find-label";
    label.textContent = textarea.dataset.findLabel || "Find someone to add";
    var list = datalistFor(textarea, "-suggestions");
    box.setAttribute("list", list.id);
    textarea.parentNode.insertBefore(label, textarea);
    textarea.parentNode.insertBefore(box, textarea);
    suggest(box, list, textarea.dataset.peopleSearch);
    // A chosen suggestion ends with the person's number: add it as a line, once.
    box.addEventListener("input", function () {
      var chosen = box.value.trim();
      if (!CHOSEN.test(chosen)) return;
      var lines = textarea.value.split("\n").map(function (line) {
        return line.trim();
      }).filter(Boolean);
      if (lines.indexOf(chosen) === -1) lines.push(chosen);
      textarea.value = lines.join("\n");
      box.value = "";
      list.replaceChildren();
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  document.querySelectorAll("[data-people-search]").forEach(function (field) {
    if (field.tagName === "TEXTAREA") several(field);
    else single(field);
  });
})();
