// fixkb: progressive enhancement only. Every page works without this file; it adds
// search-as-you-type, copy buttons, and live validation and preview on fix forms.
// No dependencies, no build step. Constraints come from the HTML the server rendered.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function debounce(fn, ms) {
    var t;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }
  function absolute(href) { return new URL(href, location.href).href; }
  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  // One polite live region announces what happened (copied, suggestions, preview state).
  var live = el("div", { "class": "visually-hidden", role: "status", "aria-live": "polite", id: "fk-live" });
  function announce(text) {
    live.textContent = "";
    // A fresh text node after a tick makes screen readers repeat identical messages.
    setTimeout(function () { live.textContent = text; }, 30);
  }

  // ---- "/" focuses the search box (unless typing in a field) -------------------------
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = $("#home-q") || $("#q");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });

  // ---- Clipboard ------------------------------------------------------------------------
  function writeClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var area = el("textarea", { readonly: "", "aria-hidden": "true", "class": "copy-buffer" });
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      area.remove();
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }
  // Copies `text` and shows the result on `button` (its label changes for two seconds)
  // and in the live region.
  function copyWithFeedback(button, text, what) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    writeClipboard(text).then(function () {
      button.textContent = "Copied";
      button.classList.add("copied");
      announce((what || "Text") + " copied to the clipboard");
    }, function () {
      button.textContent = "Press Ctrl+C";
      announce("Copying failed; select the text and press Ctrl+C");
    }).then(function () {
      clearTimeout(button._fkTimer);
      button._fkTimer = setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 2000);
    });
  }
  function copyButton(label, accessibleName, getText, what) {
    var b = el("button", { type: "button", "class": "copy-button", "aria-label": accessibleName }, label);
    b.addEventListener("click", function () { copyWithFeedback(b, getText(), what); });
    return b;
  }

  function enhanceCodeBlocks(root) {
    $$("pre.code", root).forEach(function (pre) {
      if (pre.parentNode.classList.contains("code-wrap")) return;
      var wrap = el("div", { "class": "code-wrap" });
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre);
      var lang = pre.getAttribute("data-lang");
      var name = pre.getAttribute("data-copy-name") || (lang ? lang + " code" : "code");
      wrap.appendChild(copyButton("Copy", "Copy " + name, function () {
        var code = $("code", pre) || pre;
        return code.textContent.replace(/\n$/, "");
      }, "Code"));
    });
  }

  // Section links: a click still jumps to the section, and also copies its absolute URL.
  function enhanceHeadingLinks() {
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a.heading-link");
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      var url = absolute(a.getAttribute("href"));
      writeClipboard(url).then(function () {
        showFlag(a, "Link copied");
        announce("Link to this section copied to the clipboard");
      }, function () { /* navigation still happened; nothing else to do */ });
    });
  }
  function showFlag(anchor, text) {
    var old = $(".copy-flag", anchor.parentNode);
    if (old) old.remove();
    var flag = el("span", { "class": "copy-flag", "aria-hidden": "true" }, text);
    anchor.insertAdjacentElement("afterend", flag);
    setTimeout(function () { flag.remove(); }, 1800);
  }

  // Article actions: copy the short link and a Markdown link for forum answers.
  function enhanceArticle() {
    var article = $("article.article");
    if (!article) return;
    var h1 = $("h1", article);
    var title = h1 ? h1.textContent.replace(/\s*#\s*$/, "").trim() : document.title;
    var canonical = $("link[rel=canonical]");
    var url = canonical ? canonical.href : location.href.split("#")[0];
    var kb = $("a.kb-id[data-copy-link]", article);
    var bar = el("div", { "class": "article-actions", role: "group", "aria-label": "Share this article" });
    if (kb) {
      var shortUrl = absolute(kb.getAttribute("href"));
      bar.appendChild(copyButton("Copy short link", "Copy short link " + shortUrl, function () { return shortUrl; }, "Short link"));
    }
    var label = kb ? kb.textContent.trim() + ": " + title : title;
    bar.appendChild(copyButton("Copy as Markdown link", "Copy as Markdown link", function () {
      return "[" + label.replace(/([\[\]])/g, "\\$1") + "](" + url + ")";
    }, "Markdown link"));
    var meta = $(".article-header .meta", article) || h1;
    if (meta) meta.insertAdjacentElement("afterend", bar);
  }

  // Anything marked data-copy gets a copy button: links copy their absolute URL, fields
  // their value, other elements their text. The attribute's value names the thing.
  function enhanceCopyTargets(root) {
    $$("[data-copy]", root).forEach(function (target) {
      if (target._fkCopy) return;
      target._fkCopy = true;
      var name = target.getAttribute("data-copy") || "text";
      var b = copyButton("Copy", "Copy " + name, function () {
        if (target.tagName === "A") return absolute(target.getAttribute("href"));
        if ("value" in target && target.tagName !== "BUTTON") return target.value;
        return target.textContent;
      }, name.charAt(0).toUpperCase() + name.slice(1));
      target.insertAdjacentElement("afterend", b);
    });
  }

  // ---- Search as you type (ARIA 1.2 combobox with a listbox popup) --------------------
  function enhanceSuggest(input) {
    var form = input.form;
    var listId = nextId("suggest");
    var list = el("ul", { id: listId, role: "listbox", "class": "suggest", "aria-label": "Suggestions" });
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.insertAdjacentElement("afterend", list);
    var controller = null, active = -1, items = [], lastQuery = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = i;
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    // The title with the typed words' beginnings in bold (text nodes only, never HTML).
    function emphasised(title, query) {
      var span = el("span", { "class": "suggest-title" });
      var words = query.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 1; });
      var lower = title.toLowerCase(), i = 0;
      while (i < title.length) {
        var hit = -1, len = 0;
        words.forEach(function (w) {
          var at = lower.indexOf(w, i);
          while (at > 0 && /\w/.test(lower.charAt(at - 1))) at = lower.indexOf(w, at + 1);
          if (at >= 0 && (hit < 0 || at < hit)) { hit = at; len = w.length; }
        });
        if (hit < 0) { span.appendChild(document.createTextNode(title.slice(i))); break; }
        span.appendChild(document.createTextNode(title.slice(i, hit)));
        span.appendChild(el("b", {}, title.slice(hit, hit + len)));
        i = hit + len;
      }
      return span;
    }
    function option(href, main, extra, query) {
      var li = el("li", { role: "option", id: nextId("opt"), "aria-selected": "false", "data-href": href });
      li.appendChild(query ? emphasised(main, query) : el("span", { "class": "suggest-title" }, main));
      if (extra) li.appendChild(el("span", { "class": "suggest-extra" }, extra));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep focus
      li.addEventListener("click", function () { location.href = href; });
      return li;
    }
    function render(query, suggestions) {
      list.textContent = "";
      items = [];
      active = -1;
      suggestions.forEach(function (s) {
        var li = option(s.url || ("/kb/" + s.slug), s.title, s.id ? "KB" + s.id : "", query);
        list.appendChild(li);
        items.push(li);
      });
      var all = option("/search?q=" + encodeURIComponent(query), "Search for \u201c" + query + "\u201d", "all results");
      all.classList.add("suggest-all");
      list.appendChild(all);
      items.push(all);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(suggestions.length === 0 ? "No title matches; press Enter to search"
        : suggestions.length + (suggestions.length === 1 ? " suggestion" : " suggestions") + "; use the arrow keys");
    }
    var fetchSuggestions = debounce(function () {
      var query = input.value.trim();
      if (query === lastQuery && !list.hidden) return;
      lastQuery = query;
      if (controller) controller.abort();
      if (query.length < 2) { close(); return; }
      controller = new AbortController();
      fetch("/api/suggest?q=" + encodeURIComponent(query), { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          if (input.value.trim() !== query || document.activeElement !== input) return;
          // `/api/suggest` answers a JSON array of {title, url, slug, id}.
          render(query, (Array.isArray(data) ? data : []).slice(0, 8));
        })
        .catch(function (err) { if (err.name !== "AbortError") close(); });
    }, 120);

    input.addEventListener("input", fetchSuggestions);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) { lastQuery = null; fetchSuggestions(); return; }
        e.preventDefault();
        var n = items.length;
        highlight(e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1));
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        location.href = items[active].getAttribute("data-href");
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    if (form) form.addEventListener("submit", function () { if (controller) controller.abort(); close(); });
  }

  // ---- Fix form: validation from the rendered constraints, live preview ---------------
  function enhanceFixForm(form) {
    var renderUrl = form.getAttribute("data-render-url");
    var fields = $$("input, select, textarea", form).filter(function (f) {
      return f.name && f.type !== "submit" && f.type !== "button" && f.type !== "hidden";
    });
    form.noValidate = true; // our inline messages replace the browser's bubbles
    fields.forEach(function (f) {
      f.addEventListener("input", function () { if (f.getAttribute("aria-invalid") === "true") check(f); });
      f.addEventListener("change", function () { check(f); });
      // Leaving a field shows its problem; it never clears one the server reported.
      f.addEventListener("blur", function () { if (f.value !== "" && !f.validity.valid) check(f); });
    });
    function errorBox(f) {
      var id = f.getAttribute("data-error") || (f.id + "-error");
      var box = document.getElementById(id);
      if (!box) {
        box = el("p", { id: id, "class": "field-error" });
        box.hidden = true;
        var anchor = f.closest(".field") || f;
        if (anchor === f) f.insertAdjacentElement("afterend", box); else anchor.appendChild(box);
      }
      var described = (f.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (described.indexOf(id) < 0) { described.push(id); f.setAttribute("aria-describedby", described.join(" ")); }
      return box;
    }
    function showError(f, message) {
      var box = errorBox(f);
      box.textContent = message || "";
      box.hidden = !message;
      if (message) f.setAttribute("aria-invalid", "true"); else f.removeAttribute("aria-invalid");
      var wrap = f.closest(".field");
      if (wrap) wrap.classList.toggle("has-error", !!message);
    }
    function messageFor(f) {
      var v = f.validity;
      if (v.valid) return "";
      var label = f.labels && f.labels[0] ? f.labels[0].textContent.replace(/\s*\(required\)|\*/g, "").trim() : f.name;
      if (v.valueMissing) return label + " is required.";
      if (v.patternMismatch) return f.getAttribute("data-pattern-message") || f.title || (label + " is not in the expected format.");
      if (v.rangeUnderflow) return label + " must be at least " + f.min + ".";
      if (v.rangeOverflow) return label + " must be at most " + f.max + ".";
      if (v.tooLong) return label + " must be at most " + f.maxLength + " characters.";
      if (v.tooShort) return label + " must be at least " + f.minLength + " characters.";
      if (v.badInput || v.stepMismatch) return label + " must be a whole number.";
      return f.validationMessage;
    }
    function check(f) {
      var msg = messageFor(f);
      showError(f, msg);
      return !msg;
    }
    form.addEventListener("submit", function (e) {
      var firstBad = null;
      fields.forEach(function (f) { if (!check(f) && !firstBad) firstBad = f; });
      if (firstBad) { e.preventDefault(); firstBad.focus(); announce("Please correct the highlighted field"); }
    });

    if (!renderUrl || !window.fetch) return;
    var preview = $("[data-fix-preview]") || $(".fix-preview");
    var controller = null;
    function params() {
      var out = {};
      fields.forEach(function (f) {
        if (f.type === "checkbox" && f.hasAttribute("data-multi")) {
          // A group of boxes sharing one name: the ticked values, comma-separated.
          var picked = out[f.name] ? out[f.name].split(",") : [];
          if (f.checked) picked.push(f.value);
          out[f.name] = picked.join(",");
        }
        else if (f.type === "checkbox") out[f.name] = f.checked ? (f.value && f.value !== "on" ? f.value : "true") : "false";
        else if (f.type === "radio") { if (f.checked) out[f.name] = f.value; }
        else out[f.name] = f.value;
      });
      return out;
    }
    // The first visible control for a parameter (a checkbox group answers with its first box).
    function fieldNamed(name) {
      for (var i = 0; i < fields.length; i++) if (fields[i].name === name) return fields[i];
      return null;
    }
    var refresh = debounce(function () {
      var allValid = fields.every(function (f) { return f.validity.valid; });
      if (!allValid) { setState("stale", "Fix the highlighted fields to update the preview."); return; }
      var p = params();
      if (controller) controller.abort();
      controller = new AbortController();
      setState("busy"); // keep the status text: announcing every keystroke would be noise
      fetch(renderUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ params: p }),
        signal: controller.signal
      }).then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      }).then(function (res) {
        if (res.status === 200) { showPreview(res.body); return; }
        var errors = (res.body && res.body.errors) || [];
        errors.forEach(function (err) {
          var f = err.param && fieldNamed(err.param);
          if (f) showError(f, err.message);
        });
        var general = errors.filter(function (err) { return !err.param || !fieldNamed(err.param); });
        setState("stale", general.length ? general.map(function (g) { return g.message; }).join(" ")
          : (errors.length ? "Fix the highlighted fields to update the preview." : "The preview could not be updated."));
      }).catch(function (err) {
        if (err.name !== "AbortError") setState("stale", "The preview could not be updated.");
      });
    }, 250);
    function setState(state, message) {
      if (!preview) return;
      preview.setAttribute("data-state", state);
      var status = $("[data-preview-status]", preview);
      if (status && message !== undefined && status.textContent !== message) status.textContent = message;
    }
    // The revert button, when the page had none yet: the fix's metadata says whether it has one.
    var fixMeta = null;
    function addRevert(download, url) {
      var holder = form.closest("[data-fix]");
      if (!holder) return;
      fixMeta = fixMeta || fetch("/api/fixes/" + encodeURIComponent(holder.getAttribute("data-fix")))
        .then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; });
      fixMeta.then(function (meta) {
        if (!meta.revert_filename || $("a[data-download=revert]", preview)) return;
        var a = el("a", { "class": "button button-secondary", "data-download": "revert", download: "",
          href: url.replace("/download?", "/revert?") }, "Download revert script (" + meta.revert_filename + ")");
        download.insertAdjacentElement("afterend", a);
      });
    }
    // The page shows a preview only after a first submit; build the same parts when missing.
    function part(sel, build) {
      var found = $(sel, preview);
      if (found) return found;
      var made = build();
      preview.appendChild(made);
      return $(sel, preview) || made;
    }
    function showPreview(r) {
      fields.forEach(function (f) { showError(f, ""); });
      if (!preview) return;
      var pre = $("pre", preview);
      if (!pre) {
        pre = el("pre", { "class": "code", "data-lang": r.language || "" });
        pre.appendChild(el("code"));
        var status = $("[data-preview-status]", preview);
        (status || preview.firstElementChild).insertAdjacentElement("afterend", pre);
        enhanceCodeBlocks(preview);
      }
      ($("code", pre) || pre).textContent = r.content;
      var meta = part("dl", function () {
        var dl = el("dl", { "class": "meta" });
        [["File", "data-preview-filename"], ["SHA-256", "data-preview-sha256"], ["Receipt", "data-preview-receipt"]].forEach(function (row) {
          var div = el("div");
          div.appendChild(el("dt", {}, row[0]));
          var dd = el("dd");
          var code = el("code");
          code.setAttribute(row[1], "");
          if (row[1] === "data-preview-receipt") {
            var a = el("a", { "data-receipt-link": "", href: "#" });
            a.appendChild(code);
            dd.appendChild(a);
          } else dd.appendChild(code);
          div.appendChild(dd);
          dl.appendChild(div);
        });
        return dl;
      });
      var set = function (sel, text) { $$(sel, preview).forEach(function (n) { n.textContent = text; }); };
      set("[data-preview-sha256]", r.sha256 || "");
      set("[data-preview-receipt]", r.receipt || "");
      set("[data-preview-filename]", r.filename || "");
      $$("a[data-receipt-link]", meta).forEach(function (a) { a.href = r.receipt_url || "/r/" + r.receipt; });
      var qs = (r.download_url || "").split("?")[1] || "";
      var download = part("a[data-download=fix]", function () {
        var actions = el("p", { "class": "fix-actions" });
        actions.appendChild(el("a", { "class": "button", "data-download": "fix", download: "" }));
        return actions;
      });
      download.href = r.download_url;
      download.textContent = "Download " + r.filename;
      var revert = $("a[data-download=revert]", preview);
      if (revert) revert.href = revert.pathname + "?" + qs;
      else addRevert(download, r.download_url);
      var link = part("a[data-prefilled-link]", function () {
        var para = el("p", {}, "Prefilled link for a forum answer or a ticket: ");
        para.appendChild(el("a", { "data-prefilled-link": "", "data-copy": "prefilled link" }));
        return para;
      });
      link.href = location.pathname + "?" + qs;
      link.textContent = link.href;
      enhanceCopyTargets(preview);
      markScrollable(preview);
      setState("fresh", "Preview up to date.");
      history.replaceState(null, "", location.pathname + "?" + qs + location.hash);
    }
    fields.forEach(function (f) {
      f.addEventListener("input", refresh);
      f.addEventListener("change", refresh);
    });
    // No preview yet and the defaults are valid: show one straight away.
    if (preview && !$("pre", preview) && fields.every(function (f) { return f.validity.valid; })) refresh();
  }

  // A scrollable block must be reachable by keyboard to scroll it (WCAG 2.1.1).
  function markScrollable(root) {
    $$("pre", root).forEach(function (pre) {
      if (pre.scrollWidth > pre.clientWidth + 1) pre.setAttribute("tabindex", "0");
      else if (pre.getAttribute("tabindex") === "0") pre.removeAttribute("tabindex");
    });
  }

  // The table of contents marks the section being read (aria-current), as you scroll.
  function enhanceToc() {
    var links = $$(".toc a[href^='#']");
    if (!links.length || !window.IntersectionObserver) return;
    var byId = {};
    links.forEach(function (a) { byId[decodeURIComponent(a.getAttribute("href").slice(1))] = a; });
    var headings = Object.keys(byId).map(function (id) { return document.getElementById(id); }).filter(Boolean);
    var observer = new IntersectionObserver(function () {
      // The current section is the last heading above the middle of the screen.
      var current = null;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top < window.innerHeight * 0.4) current = h; });
      links.forEach(function (a) { a.removeAttribute("aria-current"); });
      if (current && byId[current.id]) byId[current.id].setAttribute("aria-current", "true");
    }, { rootMargin: "0px 0px -60% 0px" });
    headings.forEach(function (h) { observer.observe(h); });
  }

  function init() {
    document.body.appendChild(live);
    $$("input[data-suggest]").forEach(enhanceSuggest);
    var box = $("#home-q") || $("#q");
    if (box) { box.setAttribute("aria-keyshortcuts", "/"); box.title = "Search (press / from anywhere on the page)"; }
    enhanceCodeBlocks(document);
    enhanceHeadingLinks();
    enhanceArticle();
    enhanceToc();
    enhanceCopyTargets(document);
    $$("form[data-fix-form]").forEach(enhanceFixForm);
    markScrollable(document);
    window.addEventListener("resize", debounce(function () { markScrollable(document); }, 200));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
