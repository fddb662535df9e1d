/* journeymap theme behaviour: light/dark toggle, map pan and zoom, search (Pagefind).
 * Plain JavaScript, no dependencies and no requests outside the site. Everything degrades: without
 * this script every page still reads, and every link still works.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var config = {};
  try {
    config = JSON.parse(document.getElementById("jm-site").textContent);
  } catch (e) {
    config = {};
  }
  var isFile = window.location.protocol === "file:";

  /* --- light and dark ------------------------------------------------------------------------ */

  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function effectiveTheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen === "light" || chosen === "dark") {
      return chosen;
    }
    return systemDark && systemDark.matches ? "dark" : "light";
  }

  function syncToggles() {
    var dark = effectiveTheme() === "dark";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.setAttribute("title", dark ? "Switch to light mode" : "Switch to dark mode");
    });
  }

  document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try {
        window.localStorage.setItem("jm-theme", next);
      } catch (e) {
        /* not persisted: fine */
      }
      syncToggles();
    });
  });
  if (systemDark && systemDark.addEventListener) {
    systemDark.addEventListener("change", syncToggles);
  }
  syncToggles();

  /* --- map pan and zoom ------------------------------------------------------------------------ */

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  function setupMap(container) {
    var viewport = container.querySelector(".jm-map-viewport");
    var canvas = viewport && viewport.querySelector(".jm-map-canvas");
    var svg = canvas && canvas.querySelector("svg");
    if (!svg) {
      return;
    }
    var box = svg.viewBox && svg.viewBox.baseVal;
    var width = parseFloat(canvas.getAttribute("data-width")) || (box && box.width) || svg.getBoundingClientRect().width;
    var height = parseFloat(canvas.getAttribute("data-height")) || (box && box.height) || svg.getBoundingClientRect().height;
    var output = container.querySelector(".jm-zoom-level");
    var scale = 1;
    var minScale = 0.1;
    var maxScale = 4;

    function fitScale() {
      var available = viewport.clientWidth - 16;
      return clamp(available / width, minScale, 1);
    }

    function apply(next, focusX, focusY) {
      next = clamp(next, minScale, maxScale);
      if (focusX === undefined) {
        focusX = viewport.clientWidth / 2;
        focusY = viewport.clientHeight / 2;
      }
      var contentX = (viewport.scrollLeft + focusX) / scale;
      var contentY = (viewport.scrollTop + focusY) / scale;
      scale = next;
      svg.setAttribute("width", String(Math.round(width * scale)));
      svg.setAttribute("height", String(Math.round(height * scale)));
      viewport.scrollLeft = contentX * scale - focusX;
      viewport.scrollTop = contentY * scale - focusY;
      if (output) {
        output.textContent = Math.round(scale * 100) + "%";
      }
    }

    container.querySelectorAll("[data-map-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-map-zoom");
        if (action === "in") {
          apply(scale * 1.25);
        } else if (action === "out") {
          apply(scale / 1.25);
        } else if (action === "fit") {
          apply(fitScale(), 0, 0);
        } else {
          apply(1, 0, 0);
        }
      });
    });

    // Ctrl/Cmd + wheel and trackpad pinch (which Chromium reports as ctrl + wheel) zoom around the pointer.
    viewport.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) {
        return;
      }
      event.preventDefault();
      var rect = viewport.getBoundingClientRect();
      apply(scale * Math.exp(-event.deltaY * 0.0025), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });

    // Keyboard: + and - zoom, 0 returns to actual size (arrow keys scroll natively).
    viewport.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") {
        apply(scale * 1.25);
        event.preventDefault();
      } else if (event.key === "-" || event.key === "_") {
        apply(scale / 1.25);
        event.preventDefault();
      } else if (event.key === "0") {
        apply(1, 0, 0);
        event.preventDefault();
      }
    });

    // Two-finger pinch on touch screens; one finger pans natively (touch-action: pan-x pan-y).
    var pinch = null;
    function distance(touches) {
      var dx = touches[0].clientX - touches[1].clientX;
      var dy = touches[0].clientY - touches[1].clientY;
      return Math.sqrt(dx * dx + dy * dy);
    }
    viewport.addEventListener("touchstart", function (event) {
      if (event.touches.length === 2) {
        pinch = { distance: distance(event.touches), scale: scale };
      }
    }, { passive: true });
    viewport.addEventListener("touchmove", function (event) {
      if (pinch && event.touches.length === 2) {
        event.preventDefault();
        var rect = viewport.getBoundingClientRect();
        var midX = (event.touches[0].clientX + event.touches[1].clientX) / 2 - rect.left;
        var midY = (event.touches[0].clientY + event.touches[1].clientY) / 2 - rect.top;
        apply(pinch.scale * distance(event.touches) / pinch.distance, midX, midY);
      }
    }, { passive: false });
    viewport.addEventListener("touchend", function (event) {
      if (event.touches.length < 2) {
        pinch = null;
      }
    });

    // Drag with the mouse to pan; a drag never counts as a click on a card.
    var drag = null;
    var suppressClick = false;
    viewport.addEventListener("pointerdown", function (event) {
      if (event.pointerType !== "mouse" || event.button !== 0) {
        return;
      }
      drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop, moved: false };
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) {
        return;
      }
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
        drag.moved = true;
        viewport.classList.add("jm-dragging");
      }
      if (drag.moved) {
        viewport.scrollLeft = drag.left - dx;
        viewport.scrollTop = drag.top - dy;
      }
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) {
        suppressClick = true;
        window.setTimeout(function () { suppressClick = false; }, 0);
      }
      drag = null;
      viewport.classList.remove("jm-dragging");
    });
    viewport.addEventListener("click", function (event) {
      if (suppressClick) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
    viewport.addEventListener("dragstart", function (event) {
      event.preventDefault();
    });

    apply(1, 0, 0);
  }

  document.querySelectorAll("[data-map]").forEach(setupMap);

  /* --- search ----------------------------------------------------------------------------------- */

  var pagefind = null;

  function loadPagefind() {
    if (!pagefind) {
      var url = new URL(config.pagefind || "pagefind/pagefind.js", document.baseURI).href;
      var base = new URL(config.root || "./", document.baseURI).pathname;
      pagefind = import(url).then(function (module) {
        return Promise.resolve(module.options({ baseUrl: base, excerptLength: 24 })).then(function () {
          return mergeShards(module, url, base);
        }).then(function () {
          return module;
        });
      });
    }
    return pagefind;
  }

  // A big site's index is sharded (generator/search.py): pagefind/shards.json lists the other bundles,
  // relative to the primary one, and each is merged into it; Pagefind then searches them all and merges
  // the results (by score) and the filter counts (summed).
  function mergeShards(module, url, base) {
    return fetch(new URL("shards.json", url).href, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) {
        throw new Error("no shard list");
      }
      return response.json();
    }).then(function (list) {
      return Promise.all((list.shards || []).map(function (folder) {
        return module.mergeIndex(new URL(folder, url).pathname, { baseUrl: base, excerptLength: 24 });
      }));
    });
  }

  function textOf(html) {
    // Pagefind excerpts are text with <mark> around matches; parse inertly, keep only the text.
    return new DOMParser().parseFromString("<!doctype html><body>" + html, "text/html").body.textContent;
  }

  function excerpt(html) {
    var fragment = document.createDocumentFragment();
    var inMark = false;
    String(html || "").split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") {
        inMark = true;
      } else if (part === "</mark>") {
        inMark = false;
      } else if (part) {
        var text = textOf(part);
        if (inMark) {
          var mark = document.createElement("mark");
          mark.textContent = text;
          fragment.appendChild(mark);
        } else {
          fragment.appendChild(document.createTextNode(text));
        }
      }
    });
    return fragment;
  }

  function safeHref(url) {
    try {
      var parsed = new URL(url, document.baseURI);
      if (parsed.protocol === "http:" || parsed.protocol === "https:" || parsed.protocol === "file:") {
        if (!config.directoryUrls && /\/$/.test(parsed.pathname)) {
          parsed.pathname += "index.html";
        }
        return parsed.href;
      }
    } catch (e) {
      /* fall through */
    }
    return "#";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function searchUrl(query) {
    var url = new URL(config.search || "search/", document.baseURI);
    url.searchParams.set("q", query);
    return url.href;
  }

  function runSearch(query, type) {
    return loadPagefind().then(function (module) {
      var options = type ? { filters: { type: type } } : {};
      return module.debouncedSearch ? module.debouncedSearch(query, options, 80) : module.search(query, options);
    });
  }

  // The search box in the header: live results under the box, Enter opens the search page.
  function setupHeaderSearch(form) {
    var input = form.querySelector("[data-search-input]");
    var popup = form.querySelector("[data-search-popup]");
    if (!input || !popup) {
      return;
    }
    var timer = null;
    var latest = "";

    function close() {
      popup.hidden = true;
    }

    function show(children) {
      popup.textContent = "";
      children.forEach(function (child) { popup.appendChild(child); });
      popup.hidden = false;
    }

    function update() {
      var query = input.value.trim();
      latest = query;
      if (query.length < 2) {
        close();
        return;
      }
      if (isFile) {
        var note = element("p", "jm-popup-status", "Search needs the site to be served (it cannot run from a file on disk). ");
        var more = element("a", "", "Why?");
        more.href = searchUrl(query);
        note.appendChild(more);
        show([note]);
        return;
      }
      runSearch(query).then(function (search) {
        if (!search || query !== latest) {
          return null;
        }
        return Promise.all(search.results.slice(0, 6).map(function (r) { return r.data(); })).then(function (items) {
          if (query !== latest) {
            return;
          }
          var status = element("p", "jm-popup-status", search.results.length === 0 ? "No results" :
            search.results.length + (search.results.length === 1 ? " result" : " results"));
          var list = element("ul", "jm-popup-list");
          items.forEach(function (data) {
            var li = element("li");
            var a = element("a");
            a.href = safeHref(data.url);
            var title = element("span", "jm-popup-title", (data.meta && data.meta.title) || data.url);
            if (data.meta && data.meta.type) {
              title.appendChild(element("span", "jm-badge", data.meta.type));
            }
            a.appendChild(title);
            var text = element("span", "jm-popup-excerpt");
            text.appendChild(excerpt(data.excerpt));
            a.appendChild(text);
            li.appendChild(a);
            list.appendChild(li);
          });
          var nodes = [status, list];
          if (search.results.length > items.length) {
            var all = element("a", "jm-popup-all", "See all " + search.results.length + " results");
            all.href = searchUrl(query);
            nodes.push(all);
          }
          show(nodes);
        });
      }).catch(function () {
        show([element("p", "jm-popup-status", "Search is not available: the search index could not be loaded.")]);
      });
    }

    input.setAttribute("aria-controls", popup.id || (popup.id = "jm-search-popup"));
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 120);
    });
    input.addEventListener("focus", function () {
      if (!isFile && input.value.trim().length >= 2) {
        update();
      }
    });
    form.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(popup.querySelectorAll("a"));
      var index = links.indexOf(document.activeElement);
      if (event.key === "Escape") {
        close();
        input.focus();
      } else if (event.key === "ArrowDown" && links.length) {
        event.preventDefault();
        links[Math.min(index + 1, links.length - 1)].focus();
      } else if (event.key === "ArrowUp" && links.length) {
        event.preventDefault();
        if (index <= 0) {
          input.focus();
        } else {
          links[index - 1].focus();
        }
      }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) {
        close();
      }
    });
  }

  document.querySelectorAll("[data-search-form]").forEach(setupHeaderSearch);

  // The search page: full results with type filters; the query lives in the URL (?q=...&type=...).
  function setupSearchPage(page) {
    var form = page.querySelector("[data-search-page-form]");
    var input = page.querySelector("[data-search-page-input]");
    var status = page.querySelector("[data-search-status]");
    var results = page.querySelector("[data-search-results]");
    var params = new URLSearchParams(window.location.search);
    var query = params.get("q") || "";
    var type = params.get("type") || "";
    input.value = query;
    form.querySelectorAll("input[name=type]").forEach(function (radio) {
      radio.checked = radio.value === type;
    });

    if (isFile) {
      page.querySelector("[data-search-file]").hidden = false;
      form.hidden = true;
      return;
    }

    var shown = 0;
    var current = null;
    var more = element("button", "jm-btn", "Show more results");
    more.type = "button";

    function renderMore() {
      var batch = current.results.slice(shown, shown + 20);
      shown += batch.length;
      more.remove();
      return Promise.all(batch.map(function (r) { return r.data(); })).then(function (items) {
        items.forEach(function (data) {
          var li = element("li", "jm-result");
          var head = element("div", "jm-result-head");
          var a = element("a", "jm-result-title", (data.meta && data.meta.title) || data.url);
          a.href = safeHref(data.url);
          head.appendChild(a);
          if (data.meta && data.meta.type) {
            head.appendChild(element("span", "jm-badge", data.meta.type));
          }
          if (data.meta && data.meta.journey) {
            head.appendChild(element("span", "jm-result-journey", data.meta.journey));
          }
          li.appendChild(head);
          var p = element("p", "jm-result-excerpt");
          p.appendChild(excerpt(data.excerpt));
          li.appendChild(p);
          results.appendChild(li);
        });
        if (shown < current.results.length) {
          results.parentNode.appendChild(more);
        }
      });
    }

    function go() {
      query = input.value.trim();
      var checked = form.querySelector("input[name=type]:checked");
      type = checked ? checked.value : "";
      var url = new URL(window.location.href);
      url.searchParams.set("q", query);
      if (type) {
        url.searchParams.set("type", type);
      } else {
        url.searchParams.delete("type");
      }
      window.history.replaceState(null, "", url.href);
      results.textContent = "";
      more.remove();
      if (!query) {
        status.textContent = "Type a word to search.";
        return;
      }
      status.textContent = "Searching…";
      var asked = query + "\u0000" + type;
      runSearch(query, type).then(function (search) {
        if (!search || asked !== query + "\u0000" + type) {
          return;
        }
        current = search;
        shown = 0;
        var count = search.results.length;
        status.textContent = count === 0 ? "No results for “" + query + "”." :
          count + (count === 1 ? " result" : " results") + " for “" + query + "”.";
        return renderMore();
      }).catch(function () {
        status.textContent = "Search is not available: the search index could not be loaded. Rebuild the site with journeymap build.";
      });
    }

    more.addEventListener("click", renderMore);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      go();
    });
    form.querySelectorAll("input[name=type]").forEach(function (radio) {
      radio.addEventListener("change", go);
    });
    if (query) {
      go();
    } else {
      status.textContent = "Type a word to search.";
    }
    input.focus();
  }

  var searchPage = document.querySelector("[data-search-page]");
  if (searchPage) {
    setupSearchPage(searchPage);
  }
})();
