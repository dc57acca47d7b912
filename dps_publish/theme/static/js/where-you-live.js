// "Where do you live?": a postcode or a town to its district's find-support page, worked out here in the
// browser from the site's own lookup files (where-you-live/). Nothing typed is sent anywhere: a postcode
// fetches the file of its first half, which is the same for everyone with that first half, and a town
// fetches the one list of places. Without this script the button opens the A to Z page, and the box,
// which has no name, sends nothing.
(function () {
  "use strict";
  var FULL = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/;
  var FIRST_HALF = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/;
  var FIND_COUNCIL = "https://www.gov.uk/find-local-council";

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // Names as people type them: any case, "&" for "and", "St" for "Saint", hyphens, dots and apostrophes.
  function nameKey(text) {
    return text.toLowerCase().replace(/&/g, " and ").replace(/[\u2019'.,()]/g, "").replace(/[-\s]+/g, " ")
      .replace(/\bsaint\b/g, "st").trim();
  }

  // Optimal string alignment distance: a letter wrong, missing, extra, or two swapped each count as one.
  function distance(a, b, most) {
    if (Math.abs(a.length - b.length) > most) { return most + 1; }
    var rows = [];
    for (var i = 0; i <= a.length; i++) { rows.push([i]); }
    for (var j = 1; j <= b.length; j++) { rows[0][j] = j; }
    for (i = 1; i <= a.length; i++) {
      var best = most + 1;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { d = Math.min(d, rows[i - 2][j - 2] + 1); }
        rows[i][j] = d;
        best = Math.min(best, d);
      }
      if (best > most) { return most + 1; }
    }
    return rows[a.length][b.length];
  }

  function typosAllowed(key) { return key.length < 4 ? 0 : (key.length < 9 ? 1 : 2); }

  ready(function () {
    var form = document.querySelector("form[data-where-you-live]");
    if (!form) { return; }
    var input = document.getElementById("where-you-live");
    var group = input.closest(".govuk-form-group");
    var result = document.getElementById("where-you-live-result");
    var summary = document.getElementById("where-you-live-summary");
    var easyRead = form.getAttribute("data-easy-read") === "yes";
    var root = form.getAttribute("data-root");
    var lookup = form.getAttribute("data-lookup");
    var area = form.getAttribute("data-area");
    var aToZ = form.getAttribute("data-a-to-z");
    var title = document.title;
    var files = {};

    function load(name) {
      if (!files[name]) {
        files[name] = fetch(lookup + name, { credentials: "same-origin" }).then(function (response) {
          if (response.status === 404) { return null; }
          if (!response.ok) { throw new Error("lookup"); }
          return response.json();
        });
      }
      return files[name];
    }

    function pageOf(district) { return root + (easyRead ? "easy-read/" : "") + district.page; }

    function clear() {
      document.title = title;
      summary.hidden = true;
      summary.textContent = "";
      result.hidden = true;
      result.textContent = "";
      group.classList.remove("govuk-form-group--error");
      input.classList.remove("govuk-input--error");
      input.setAttribute("aria-describedby", "where-you-live-hint");
      var old = document.getElementById("where-you-live-error");
      if (old) { old.parentNode.removeChild(old); }
    }

    // The GOV.UK error pattern: "Error: " before the title, a summary at the top linking to the box, and the
    // message above the box, which is marked and described by it.
    function error(message) {
      clear();
      document.title = "Error: " + title;
      var link = element("a", { href: "#where-you-live" }, [message]);
      link.addEventListener("click", function (event) { event.preventDefault(); input.focus(); });
      summary.appendChild(element("div", { "class": "govuk-error-summary", "data-module": "govuk-error-summary" }, [
        element("div", { role: "alert" }, [
          element("h2", { "class": "govuk-error-summary__title" }, ["There is a problem"]),
          element("div", { "class": "govuk-error-summary__body" }, [
            element("ul", { "class": "govuk-list govuk-error-summary__list" }, [element("li", {}, [link])])
          ])
        ])
      ]));
      summary.hidden = false;
      group.classList.add("govuk-form-group--error");
      input.classList.add("govuk-input--error");
      var shown = element("p", { id: "where-you-live-error", "class": "govuk-error-message" }, [
        element("span", { "class": "govuk-visually-hidden" }, ["Error:"]), " " + message
      ]);
      group.insertBefore(shown, input);
      input.setAttribute("aria-describedby", "where-you-live-hint where-you-live-error");
      summary.querySelector(".govuk-error-summary").setAttribute("tabindex", "-1");
      summary.querySelector(".govuk-error-summary").focus();
    }

    function show(children) {
      clear();
      children.forEach(function (child) { result.appendChild(child); });
      result.hidden = false;
      result.focus();
    }

    function paragraph(children) {
      return element("p", { "class": easyRead ? "govuk-body-l" : "govuk-body" }, children);
    }

    function outside(what) {
      show([
        element("h2", { "class": "govuk-heading-m" }, [easyRead ? "This is not in " + area : what + " is not in " + area]),
        paragraph(easyRead ? ["You may live in another council's area."] :
          ["The council for " + area + " does not give support there. Your own council can tell you what support there is."]),
        paragraph([element("a", { "class": "govuk-link", href: FIND_COUNCIL },
          [easyRead ? "Find your council on the GOV.UK website" : "Find your local council on GOV.UK"])])
      ]);
    }

    // A postcode whose first half is here but which is not in the list: a slip, or a very new postcode.
    function notFound(shown, districts) {
      show([
        element("h2", { "class": "govuk-heading-m" }, ["We could not find " + shown]),
        paragraph([easyRead ? "Check your postcode. If it is right, choose your district." :
          "Check the postcode. If it is right, choose your district:"]),
        element("ul", { "class": "govuk-list" + (easyRead ? " govuk-body-l" : "") }, districts.map(function (d) {
          return element("li", {}, [element("a", { "class": "govuk-link", href: pageOf(d) }, [d.name])]);
        })),
        paragraph([easyRead ? "Do you live outside " + area + "? " : "If you live outside " + area + ", ",
          element("a", { "class": "govuk-link", href: FIND_COUNCIL },
            [easyRead ? "Find your council on the GOV.UK website" : "find your local council on GOV.UK"]), "."])
      ]);
    }

    // A first half or a place in more than one district: which one? Each choice is a link to its page.
    function askWhich(what, choices) {
      var list = element("ul", { "class": "govuk-list" + (easyRead ? " govuk-body-l" : "") }, choices.map(function (choice) {
        return element("li", {}, [element("a", { "class": "govuk-link", href: pageOf(choice.district) },
          [choice.words || choice.district.name])]);
      }));
      show([
        element("h2", { "class": "govuk-heading-m" }, ["Which district do you live in?"]),
        paragraph(easyRead ? [what + " is in more than 1 district.", " ", "Choose your district."] :
          [what + " is in more than one district. Choose yours (your council tax bill names it)."]),
        list
      ]);
    }

    function go(district) { window.location.assign(pageOf(district)); }

    function byPostcode(first, second) {
      return load("areas.json").then(function (areas) {
        var indexes = areas.outward[first];
        var shown = second ? first + " " + second : first;
        if (!indexes) { return outside(shown); }
        var districts = indexes.map(function (n) { return areas.districts[n]; });
        if (!second) {
          if (districts.length === 1) { return go(districts[0]); }
          return askWhich(shown, districts.map(function (d) { return { district: d }; }));
        }
        return load("postcodes/" + first + ".json").then(function (shard) {
          var found = null;
          Object.keys((shard && shard.districts) || {}).forEach(function (n) {
            if ((" " + shard.districts[n] + " ").indexOf(" " + second + " ") >= 0) { found = areas.districts[+n]; }
          });
          if (found) { return go(found); }
          return notFound(shown, districts);
        });
      });
    }

    function byPlace(text) {
      return Promise.all([load("areas.json"), load("places.json")]).then(function (loaded) {
        var areas = loaded[0];
        var places = (loaded[1] && loaded[1].places) || [];
        var key = nameKey(text);
        var most = typosAllowed(key);
        var best = most + 1;
        var matches = [];
        places.forEach(function (place) {
          var names = [place[0]].concat(place[2] || []);
          var nearest = most + 1;
          names.forEach(function (name) { nearest = Math.min(nearest, distance(key, nameKey(name), most)); });
          if (nearest < best) { best = nearest; matches = []; }
          if (nearest === best && nearest <= most) { matches.push(place); }
        });
        if (!matches.length) {
          return error(easyRead ? "We cannot find " + text + ". Check how you spelt it." :
            "We could not find a town, village or postcode called " + text + " in " + area +
            ". Check the spelling, or find it in the list from A to Z.");
        }
        var choices = [];
        matches.forEach(function (place) {
          place[1].forEach(function (n) {
            var district = areas.districts[n];
            var words = matches.length > 1 ? place[0] + " (" + district.name + ")" : district.name;
            if (!choices.some(function (c) { return c.words === words; })) { choices.push({ district: district, words: words }); }
          });
        });
        var distinct = choices.filter(function (c, i) {
          return choices.findIndex(function (d) { return d.district.page === c.district.page; }) === i;
        });
        if (distinct.length === 1) { return go(distinct[0].district); }
        return askWhich(matches.length > 1 ? text : matches[0][0], choices);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var typed = input.value.trim();
      var compact = typed.toUpperCase().replace(/\s+/g, "");
      var postcodes = form.getAttribute("data-postcodes") === "yes";
      var placesToo = form.getAttribute("data-places") === "yes";
      var found;
      if (!typed) {
        return error(easyRead ? "Type your postcode or the name of your town." :
          "Enter your postcode, or the name of your town or village");
      }
      var full = FULL.exec(compact);
      if (postcodes && full) {
        found = byPostcode(full[1], full[2]);
      } else if (postcodes && FIRST_HALF.test(compact) && /[0-9]/.test(compact)) {
        found = byPostcode(compact, "");
      } else if (placesToo) {
        found = byPlace(typed);
      } else {
        return error(easyRead ? "Type your postcode, like on letters to your home." :
          "Enter a full postcode, like the one on letters to your home");
      }
      found.catch(function () {
        window.location.assign(aToZ);
      });
    });
  });
})();
