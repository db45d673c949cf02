/* Chat page: the list of saved conversations (search by title, open, rename, delete).
 *
 * Loaded before chat.js (window.Kakehashi). The server keeps conversations sealed and only for
 * their owner (/api/conversations). When the department's policy turns storage off, the page
 * keeps the current conversation in this browser only (localStorage) and shows no list.
 */
(function (K) {
  "use strict";

  var LOCAL = "kakehashi.conversation";

  K.localConversation = {
    load: function () {
      try {
        return JSON.parse(window.localStorage.getItem(LOCAL) || "null");
      } catch (err) {
        return null;
      }
    },
    save: function (value) {
      window.localStorage.setItem(LOCAL, JSON.stringify(value));
    },
    clear: function () {
      window.localStorage.removeItem(LOCAL);
    }
  };

  async function call(method, url, payload) {
    return fetch(url, {
      method: method,
      headers: K.headers("application/json"),
      credentials: "same-origin",
      body: payload === undefined ? undefined : JSON.stringify(payload)
    });
  }

  K.conversationList = function (opts) {
    function item(summary) {
      var li = document.createElement("li");
      li.className = "conversation";
      li.setAttribute("data-conversation-id", summary.id);
      if (summary.id === opts.current()) {
        li.setAttribute("aria-current", "true");
      }
      var open = document.createElement("button");
      open.type = "button";
      open.className = "link conversation-open";
      open.textContent = summary.title;
      open.title = new Date(summary.updated_at).toLocaleString("ja-JP");
      open.addEventListener("click", function () { opts.onOpen(summary.id); });
      var rename = document.createElement("button");
      rename.type = "button";
      rename.className = "link small";
      rename.textContent = "名前を変更";
      rename.setAttribute("aria-label", summary.title + " の名前を変更");
      rename.addEventListener("click", async function () {
        var title = window.prompt("会話の名前", summary.title);
        if (title && title.trim()) {
          await call("PATCH", "/api/conversations/" + summary.id, { title: title.trim() });
          refresh();
        }
      });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link small danger-link";
      remove.textContent = "削除";
      remove.setAttribute("aria-label", summary.title + " を削除");
      remove.addEventListener("click", async function () {
        if (!window.confirm("「" + summary.title + "」を削除します。元に戻せません。")) {
          return;
        }
        var response = await call("DELETE", "/api/conversations/" + summary.id);
        if (response.ok && summary.id === opts.current()) {
          opts.onDeleted();
        }
        refresh();
      });
      li.appendChild(open);
      li.appendChild(rename);
      li.appendChild(remove);
      return li;
    }

    async function refresh() {
      var query = opts.search.value.trim();
      var response = await fetch("/api/conversations?q=" + encodeURIComponent(query), {
        headers: { accept: "application/json" },
        credentials: "same-origin"
      });
      if (!response.ok) {
        return;
      }
      var found = await response.json();
      opts.list.textContent = "";
      found.forEach(function (summary) { opts.list.appendChild(item(summary)); });
      opts.empty.hidden = found.length > 0;
    }

    var timer = null;
    opts.search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    refresh();
    return { refresh: refresh };
  };

  /* A saved conversation with its names restored (and its placeholders back in the vault). */
  K.openConversation = async function (id) {
    var response = await fetch("/api/conversations/" + encodeURIComponent(id), {
      headers: { accept: "application/json" },
      credentials: "same-origin"
    });
    if (!response.ok) {
      throw new Error(await K.errorText(response));
    }
    return response.json();
  };
})(window.Kakehashi = window.Kakehashi || {});
