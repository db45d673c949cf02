/* The chat page (web/templates/chat.html): conversations, preview, send, stream, stop.
 *
 * Vanilla JS, no libraries (the CSP allows scripts from 'self' only); attachments, templates,
 * Markdown, rating, copy, budget and the conversation list come from workspace.js, answers.js
 * and conversations.js (window.Kakehashi). Every turn sends the whole conversation as typed
 * plus its id, so the gateway redacts each turn with the same placeholders and restores them
 * in the answer; the server saves it (sealed, for its owner) unless the policy says the
 * browser keeps it. The typed text stays in the box until an answer has arrived in full.
 */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var form = document.getElementById("chat-form");
  if (!root || !form) {
    return;
  }
  var K = window.Kakehashi;
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var store = root.getAttribute("data-store");
  var $ = function (id) { return document.getElementById(id); };
  var el = {
    model: $("chat-model"), useCase: $("chat-use-case"), log: $("chat-log"), error: $("chat-error"),
    prompt: $("chat-prompt"), preview: $("chat-preview"), send: $("chat-send"), stop: $("chat-stop"),
    status: $("chat-status"), fresh: $("chat-new"), panel: $("chat-preview-panel"),
    panelText: $("chat-preview-text"), panelBlocked: $("chat-preview-blocked"),
    panelRows: document.querySelector("#chat-preview-entities tbody"),
    panelTable: $("chat-preview-entities"), feedback: $("feedback-template"), budget: $("chat-budget")
  };
  var attached = K.attachments($("chat-file"), $("chat-attachments"), $("chat-file-status"));

  var STATUS_JA = {
    400: "入力内容を送信できませんでした。",
    401: "ログインの有効期限が切れました。ページを開き直してログインしてください (入力した文章はコピーしておいてください)。",
    403: "この操作は許可されていません。ページを開き直してください。",
    404: "見つかりませんでした。",
    413: "文章が長すぎます。短くするか、分けて送ってください。",
    429: "利用上限に達しました。しばらく待つか、部門管理者に相談してください。",
    502: "AI サービスでエラーが発生しました。少し待ってからもう一度送信してください。",
    503: "安全に送信できない状態のため送信しませんでした。少し待ってからもう一度お試しください。",
    504: "AI サービスの応答が時間内に返りませんでした。もう一度送信してください。"
  };
  var ATTACHED = /\n\n【添付: (.+?)】\n/;

  var conversationId = newId();
  var history = [];
  var busy = false;
  var controller = null;
  var list = null;
  var templates = null;

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function errorText(response) {
    return K.errorText(response, STATUS_JA[response.status]);
  }

  function showError(text) {
    el.error.textContent = text;
    el.error.hidden = false;
  }

  function clearError() {
    el.error.textContent = "";
    el.error.hidden = true;
  }

  function setBusy(value, status) {
    busy = value;
    [el.send, el.preview, el.fresh].forEach(function (b) { b.disabled = value; });
    el.stop.hidden = !value || !controller;
    el.status.textContent = status || "";
  }

  function addMessage(role, text, files) {
    var item = document.createElement("article");
    item.className = "msg msg-" + role;
    var who = document.createElement("h3");
    who.className = "msg-who";
    who.textContent = role === "user" ? "あなた" : "AI の回答";
    var body = document.createElement("div");
    body.className = "msg-body";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    (files || []).forEach(function (name) {
      var file = document.createElement("p");
      file.className = "msg-file";
      file.textContent = "📎 " + name;
      item.appendChild(file);
    });
    el.log.appendChild(item);
    return item;
  }

  /* A sent user turn as shown: the typed part, and the names of the documents attached. */
  function addUserTurn(content) {
    var parts = content.split(ATTACHED);
    var files = [];
    for (var i = 1; i < parts.length; i += 2) { files.push(parts[i]); }
    return addMessage("user", parts[0], files);
  }

  function label(type) {
    return labels[type] || type;
  }

  /* 送信前に確認: what would leave, with this conversation's placeholders. */
  async function preview() {
    var text = attached.compose(el.prompt.value);
    clearError();
    if (!text.trim()) {
      showError("依頼内容を入力してください。");
      el.prompt.focus();
      return;
    }
    setBusy(true, "確認中…");
    try {
      var response = await fetch("/api/redaction/preview", {
        method: "POST", headers: K.headers("application/json"), credentials: "same-origin",
        body: JSON.stringify({ text: text, conversation_id: conversationId })
      });
      if (!response.ok) {
        showError(await errorText(response));
        return;
      }
      renderPreview(await response.json());
    } catch (err) {
      showError("サーバーに接続できませんでした。ネットワークを確認してください。");
    } finally {
      setBusy(false);
    }
  }

  function renderPreview(data) {
    el.panelText.textContent = data.text;
    el.panelRows.textContent = "";
    (data.groups || []).forEach(function (group) {
      var row = document.createElement("tr");
      [label(group.type), group.text, group.placeholder, group.count + " 回"].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = value;
        row.appendChild(cell);
      });
      el.panelRows.appendChild(row);
    });
    el.panelTable.hidden = !(data.groups || []).length;
    var blocked = data.blocked || [];
    el.panelBlocked.hidden = !blocked.length;
    el.panelBlocked.textContent = blocked.length ? "次の情報が含まれているため、このままでは送信できません: " +
      Array.from(new Set(blocked.map(function (b) { return label(b.type); }))).join("、") : "";
    el.panel.hidden = false;
  }

  /* Read the SSE body; calls onDelta for text, returns an error message or null. */
  async function readStream(response, onDelta) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    while (true) {
      var part = await reader.read();
      if (part.done) {
        return "回答が途中で途切れました。もう一度送信してください。";
      }
      buffer += decoder.decode(part.value, { stream: true });
      var events = buffer.split("\n\n");
      buffer = events.pop();
      for (var i = 0; i < events.length; i++) {
        var data = events[i].split("\n").filter(function (line) { return line.indexOf("data:") === 0; })
          .map(function (line) { return line.slice(5).trim(); }).join("");
        if (data === "[DONE]") {
          return null;
        }
        var chunk = data ? JSON.parse(data) : {};
        if (chunk.error) {
          return (chunk.error.message_ja || chunk.error.message);
        }
        var choice = chunk.choices && chunk.choices[0];
        if (choice && choice.delta && choice.delta.content) {
          onDelta(choice.delta.content);
        }
      }
    }
  }

  /* An answer in full: Markdown, copy, regenerate (the last answer only), rating. */
  async function finishAnswer(item, full, requestId) {
    var body = item.querySelector(".msg-body");
    var html = await K.renderMarkdown(full);
    if (html !== null) {
      body.innerHTML = html;  /* sanitised by the server (web/markdown.py) */
      body.classList.add("markdown");
    }
    var actions = document.createElement("div");
    actions.className = "msg-actions";
    var status = document.createElement("span");
    status.className = "note";
    status.setAttribute("aria-live", "polite");
    actions.appendChild(K.copyButton(function () { return full; }, requestId, status));
    var again = document.createElement("button");
    again.type = "button";
    again.className = "secondary small regenerate";
    again.textContent = "再生成";
    again.addEventListener("click", regenerate);
    var answers = el.log.querySelectorAll(".msg-assistant");
    if (answers[answers.length - 1] === item) {
      Array.prototype.forEach.call(el.log.querySelectorAll(".regenerate"), function (old) { old.remove(); });
      actions.appendChild(again);
    }
    actions.appendChild(status);
    item.appendChild(actions);
    if (requestId) {
      item.setAttribute("data-request-id", requestId);
      item.appendChild(K.feedbackForm(el.feedback, requestId));
    }
  }

  function remember() {
    if (store === "browser") {
      K.localConversation.save({ id: conversationId, history: history });
    } else {
      window.history.replaceState(null, "", "#c=" + conversationId);
      list.refresh();
    }
    K.budget(el.budget);
  }

  /* One turn: ``turns`` ends with the user's message. Returns true when an answer arrived. */
  async function run(turns, asked) {
    controller = new AbortController();
    setBusy(true, "送信中…");
    var answer = null;
    var full = "";
    try {
      var response = await fetch("/web/chat", {
        method: "POST", headers: K.headers("text/event-stream"), credentials: "same-origin",
        signal: controller.signal,
        body: JSON.stringify({ model: el.model.value, use_case: el.useCase.value || null,
          template: templates.used(), conversation_id: conversationId, messages: turns })
      });
      if (!response.ok) {
        showError(await errorText(response));
        return false;
      }
      var warning = response.headers.get("x-kakehashi-quota-warning");
      var parts = response.headers.get("x-kakehashi-parts");
      var requestId = response.headers.get("x-kakehashi-request-id");
      if (asked) { asked(); }
      answer = addMessage("assistant", "");
      answer.setAttribute("aria-busy", "true");
      var body = answer.querySelector(".msg-body");
      var problem = await readStream(response, function (delta) {
        full += delta;
        body.textContent = full;
      });
      answer.removeAttribute("aria-busy");
      if (problem) {
        showError(problem);
        answer.classList.add("msg-failed");
        return false;
      }
      history = turns.concat([{ role: "assistant", content: full }]);
      el.panel.hidden = true;
      await finishAnswer(answer, full, requestId);
      remember();
      el.status.textContent = (parts ? "長い文書を " + parts + " 回に分けて要約してから回答しました。" : "") +
        (warning ? "注意: 利用上限に近づいています。" : "");
      return true;
    } catch (err) {
      if (err && err.name === "AbortError" && answer) {
        /* 停止: the part that arrived stays, as the conversation's answer. */
        answer.removeAttribute("aria-busy");
        answer.classList.add("msg-stopped");
        history = turns.concat([{ role: "assistant", content: full }]);
        await finishAnswer(answer, full, null);
        el.status.textContent = "停止しました。";
        return true;
      }
      showError(err && err.name === "AbortError" ? "送信を取り消しました。" :
        "サーバーとの接続が切れました。入力した文章は残っています。もう一度送信してください。");
      if (answer) { answer.classList.add("msg-failed"); }
      return false;
    } finally {
      controller = null;
      setBusy(false, el.status.textContent === "送信中…" ? "" : el.status.textContent);
    }
  }

  async function send(event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    var text = attached.compose(el.prompt.value);
    clearError();
    if (!text.trim()) {
      showError("依頼内容を入力してください。");
      el.prompt.focus();
      return;
    }
    var turns = history.concat([{ role: "user", content: text }]);
    var ok = await run(turns, function () { addUserTurn(text); });
    if (ok) {
      el.prompt.value = "";
      attached.clear();
    }
  }

  /* 再生成: the last answer again, from the same question. */
  async function regenerate() {
    if (busy || history.length < 2) {
      return;
    }
    var answers = el.log.querySelectorAll(".msg-assistant");
    answers[answers.length - 1].remove();
    clearError();
    history = history.slice(0, -1);
    await run(history, null);
  }

  function show(id, messages) {
    conversationId = id;
    history = messages;
    el.log.textContent = "";
    el.panel.hidden = true;
    clearError();
    messages.forEach(function (message) {
      if (message.role === "user") {
        addUserTurn(message.content);
      } else {
        finishAnswer(addMessage("assistant", message.content), message.content, null);
      }
    });
  }

  async function reopen(id) {
    if (busy) {
      return;
    }
    try {
      var opened = await K.openConversation(id);
      show(opened.id, opened.messages);
      if (opened.use_case && el.useCase.querySelector('option[value="' + opened.use_case + '"]')) {
        el.useCase.value = opened.use_case;
        el.useCase.dispatchEvent(new Event("change"));  /* its templates, not the last one's */
      }
      window.history.replaceState(null, "", "#c=" + opened.id);
      el.status.textContent = "「" + opened.title + "」を開きました。";
      list.refresh();
    } catch (err) {
      showError(err.message || String(err));
    }
  }

  function restart() {
    if (busy) {
      return;
    }
    show(newId(), []);
    templates.reset();
    if (store === "browser") {
      K.localConversation.clear();
    } else {
      window.history.replaceState(null, "", window.location.pathname);
      list.refresh();
    }
    el.status.textContent = "新しい会話を始めました。";
    el.prompt.focus();
  }

  form.addEventListener("submit", send);
  el.preview.addEventListener("click", preview);
  el.fresh.addEventListener("click", restart);
  el.stop.addEventListener("click", function () {
    if (controller) { controller.abort(); }
  });
  el.prompt.addEventListener("keydown", function (event) {
    /* Enter while an IME is composing confirms the conversion; it never sends. */
    if (event.isComposing || event.keyCode === 229) {
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  /* Enter in a one-line template field would submit the form: only the send button sends. */
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
    }
  });
  templates = K.templates({
    select: el.useCase, data: JSON.parse(root.getAttribute("data-templates") || "[]"),
    choice: $("chat-template-choice"), pick: $("chat-template-pick"),
    box: $("chat-template"), title: $("chat-template-name"), fields: $("chat-template-fields"),
    fillButton: $("chat-template-fill"), prompt: el.prompt, onError: showError
  });
  if (store === "browser") {
    var kept = K.localConversation.load();
    if (kept && kept.id && kept.history) { show(kept.id, kept.history); }
  } else {
    list = K.conversationList({
      list: $("conversation-list"), search: $("conversation-search"), empty: $("conversation-empty"),
      current: function () { return conversationId; }, onOpen: reopen, onDeleted: restart
    });
    var hash = /^#c=([A-Za-z0-9_-]{8,64})$/.exec(window.location.hash);
    if (hash) { reopen(hash[1]); }
  }
  K.budget(el.budget);
})();
