/* Chat page helpers (web/templates/chat.html): attached documents, task templates, Markdown.
 *
 * Loaded before chat.js, which uses them through window.Kakehashi. Everything the page builds
 * from data uses textContent; the only HTML put into the page is an answer rendered and
 * sanitised by the server (POST /web/render).
 */
(function (K) {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  K.csrf = meta ? meta.getAttribute("content") : "";

  K.headers = function (accept, type) {
    return { "content-type": type || "application/json", "accept": accept, "x-csrf-token": K.csrf };
  };

  K.errorText = async function (response, fallback) {
    try {
      var body = await response.json();
      var error = body && body.error;
      if (error && (error.message_ja || error.message)) {
        return error.message_ja || error.message;
      }
    } catch (ignored) {
      /* not JSON: use the fallback */
    }
    return fallback || "エラーが発生しました (" + response.status + ")。";
  };

  /* The answer's Markdown as sanitised HTML, or null (then the plain text stays). */
  K.renderMarkdown = async function (text) {
    try {
      var response = await fetch("/web/render", {
        method: "POST",
        headers: K.headers("application/json"),
        credentials: "same-origin",
        body: JSON.stringify({ text: text })
      });
      return response.ok ? (await response.json()).html : null;
    } catch (err) {
      return null;
    }
  };

  /* Attached files: read into text by the server (never stored), sent with the next message. */
  K.attachments = function (input, list, status) {
    var items = [];

    function draw() {
      list.textContent = "";
      items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.className = "attachment";
        li.textContent = "📎 " + item.name + " (" + item.chars.toLocaleString("ja-JP") + " 文字) ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = "外す";
        remove.setAttribute("aria-label", item.name + " を外す");
        remove.addEventListener("click", function () {
          items.splice(index, 1);
          draw();
        });
        li.appendChild(remove);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }

    async function read(file) {
      var response = await fetch("/api/documents/extract?name=" + encodeURIComponent(file.name), {
        method: "POST",
        headers: K.headers("application/json", "application/octet-stream"),
        credentials: "same-origin",
        body: file
      });
      if (!response.ok) {
        throw new Error(file.name + ": " + await K.errorText(response));
      }
      return response.json();
    }

    input.addEventListener("change", async function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      var problems = [];
      for (var i = 0; i < files.length; i++) {
        status.textContent = files[i].name + " を読み取り中…";
        try {
          items.push(await read(files[i]));
        } catch (err) {
          problems.push(err.message || String(err));
        }
      }
      status.textContent = problems.join(" / ");
      draw();
    });

    return {
      names: function () {
        return items.map(function (item) { return item.name; });
      },
      /* The message as sent: the typed text, then each document under its name. */
      compose: function (text) {
        return items.reduce(function (out, item) {
          return out + "\n\n【添付: " + item.name + "】\n" + item.text;
        }, text);
      },
      clear: function () {
        items = [];
        status.textContent = "";
        draw();
      }
    };
  };

  function fieldInput(field) {
    var node;
    if (field.kind === "select") {
      node = document.createElement("select");
      field.options.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        node.appendChild(option);
      });
    } else {
      node = document.createElement(field.kind === "textarea" ? "textarea" : "input");
      if (field.kind === "textarea") {
        node.rows = 3;
      }
      node.placeholder = field.placeholder || "";
    }
    node.name = "tpl-" + field.name;
    node.id = "tpl-" + field.name;
    node.required = !!field.required;
    return node;
  }

  /* Task templates: the use case's own and the shared ones (the department's, the company's)
   * are offered in a second select; 「依頼文を作る」 fills the prompt box with the chosen one's
   * fields, and ``used()`` names it for the request (the server counts it under its use case). */
  K.templates = function (opts) {
    var current = null;
    var used = null;

    function choose() {
      var key = opts.choice.value;
      current = opts.data.filter(function (t) { return t.key === key; })[0] || null;
      used = null;
      opts.fields.textContent = "";
      opts.box.hidden = !current;
      if (!current) {
        return;
      }
      opts.title.textContent = opts.select.options[opts.select.selectedIndex].textContent +
        " (" + current.title + ")";
      current.fields.forEach(function (field) {
        var label = document.createElement("label");
        label.className = "template-field";
        label.htmlFor = "tpl-" + field.name;
        label.textContent = field.label + (field.required ? "" : " (任意)");
        opts.fields.appendChild(label);
        opts.fields.appendChild(fieldInput(field));
      });
    }

    function offer() {
      var mine = opts.data.filter(function (t) { return t.use_case === opts.select.value; });
      opts.choice.textContent = "";
      mine.forEach(function (t) {
        var option = document.createElement("option");
        option.value = t.key;
        option.textContent = t.title;
        opts.choice.appendChild(option);
      });
      opts.pick.hidden = mine.length === 0;
      choose();
    }

    function fill() {
      var missing = [];
      var values = {};
      current.fields.forEach(function (field) {
        var value = document.getElementById("tpl-" + field.name).value.trim();
        if (field.required && !value) {
          missing.push(field.label);
        }
        values[field.name] = value;
      });
      if (missing.length) {
        opts.onError("未入力の項目があります: " + missing.join("、"));
        return;
      }
      /* {name} slots and {{ }} braces, as policies/templates.py fills them; values are never
       * re-read as slots. */
      opts.prompt.value = current.prompt.replace(/\{\{|\}\}|\{([a-z][a-z0-9_]*)\}/g,
        function (slot, key) {
          if (!key) { return slot.charAt(0); }
          return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : slot;
        });
      used = current.key;
      opts.prompt.focus();
    }

    opts.select.addEventListener("change", offer);
    opts.choice.addEventListener("change", choose);
    opts.fillButton.addEventListener("click", fill);
    offer();
    return {
      used: function () { return used; },
      reset: function () { used = null; }
    };
  };
})(window.Kakehashi = window.Kakehashi || {});
