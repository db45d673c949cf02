/* The chat page (web/templates/chat.html): preview, send, stream, feedback.
 *
 * Vanilla JS, no libraries (the CSP allows scripts from 'self' only); attachments, templates
 * and Markdown come from workspace.js (window.Kakehashi). The conversation lives in
 * the page; every turn sends the whole conversation as typed plus a conversation id, so the
 * gateway redacts each turn with the same placeholders and restores them in the answer. The
 * typed text stays in the box until an answer has arrived in full.
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
  var el = {
    model: document.getElementById("chat-model"),
    useCase: document.getElementById("chat-use-case"),
    log: document.getElementById("chat-log"),
    error: document.getElementById("chat-error"),
    prompt: document.getElementById("chat-prompt"),
    preview: document.getElementById("chat-preview"),
    send: document.getElementById("chat-send"),
    status: document.getElementById("chat-status"),
    fresh: document.getElementById("chat-new"),
    panel: document.getElementById("chat-preview-panel"),
    panelText: document.getElementById("chat-preview-text"),
    panelBlocked: document.getElementById("chat-preview-blocked"),
    panelRows: document.querySelector("#chat-preview-entities tbody"),
    panelTable: document.getElementById("chat-preview-entities"),
    feedback: document.getElementById("feedback-template"),
    fileInput: document.getElementById("chat-file"),
    fileList: document.getElementById("chat-attachments"),
    fileStatus: document.getElementById("chat-file-status")
  };
  var attached = K.attachments(el.fileInput, el.fileList, el.fileStatus);

  var STATUS_JA = {
    400: "入力内容を送信できませんでした。",
    401: "ログインの有効期限が切れました。ページを開き直してログインしてください (入力した文章はコピーしておいてください)。",
    403: "この操作は許可されていません。ページを開き直してください。",
    404: "見つかりませんでした。",
    429: "利用上限に達しました。しばらく待つか、部門管理者に相談してください。",
    502: "AI サービスでエラーが発生しました。少し待ってからもう一度送信してください。",
    503: "安全に送信できない状態のため送信しませんでした。少し待ってからもう一度お試しください。",
    504: "AI サービスの応答が時間内に返りませんでした。もう一度送信してください。"
  };

  var conversationId = newId();
  var history = [];
  var busy = false;

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function headers(accept) {
    return K.headers(accept);
  }

  function messageOf(body, status) {
    var error = body && body.error;
    if (error && (error.message_ja || error.message)) {
      return error.message_ja || error.message;
    }
    return STATUS_JA[status] || "エラーが発生しました (" + status + ")。";
  }

  async function errorText(response) {
    var body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      body = null;
    }
    return messageOf(body, response.status);
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
    el.send.disabled = value;
    el.preview.disabled = value;
    el.fresh.disabled = value;
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

  function label(type) {
    return labels[type] || type;
  }

  /* 送信前に確認: what the redaction would send for the typed text. */
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
        method: "POST",
        headers: headers("application/json"),
        credentials: "same-origin",
        body: JSON.stringify({ text: text })
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
    (data.entities || []).forEach(function (entity) {
      var row = document.createElement("tr");
      [label(entity.type), entity.text, entity.placeholder].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = value;
        row.appendChild(cell);
      });
      el.panelRows.appendChild(row);
    });
    el.panelTable.hidden = !(data.entities || []).length;
    var blocked = data.blocked || [];
    if (blocked.length) {
      var kinds = blocked.map(function (b) { return label(b.type); });
      el.panelBlocked.textContent = "次の情報が含まれているため、このままでは送信できません: " +
        Array.from(new Set(kinds)).join("、");
      el.panelBlocked.hidden = false;
    } else {
      el.panelBlocked.hidden = true;
    }
    el.panel.hidden = false;
  }

  /* Read the SSE body; calls onDelta for text, returns an error message or null. */
  async function readStream(response, onDelta) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var done = false;
    while (!done) {
      var part = await reader.read();
      if (part.done) {
        break;
      }
      buffer += decoder.decode(part.value, { stream: true });
      var events = buffer.split("\n\n");
      buffer = events.pop();
      for (var i = 0; i < events.length; i++) {
        var data = events[i].split("\n").filter(function (line) {
          return line.indexOf("data:") === 0;
        }).map(function (line) { return line.slice(5).trim(); }).join("");
        if (!data) {
          continue;
        }
        if (data === "[DONE]") {
          done = true;
          break;
        }
        var chunk = JSON.parse(data);
        if (chunk.error) {
          return messageOf(chunk, 500);
        }
        var choice = chunk.choices && chunk.choices[0];
        if (choice && choice.delta && choice.delta.content) {
          onDelta(choice.delta.content);
        }
      }
    }
    return done ? null : "回答が途中で途切れました。もう一度送信してください。";
  }

  async function send(event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    var typed = el.prompt.value;
    var text = attached.compose(typed);
    var files = attached.names();
    clearError();
    if (!text.trim()) {
      showError("依頼内容を入力してください。");
      el.prompt.focus();
      return;
    }
    setBusy(true, "送信中…");
    var turns = history.concat([{ role: "user", content: text }]);
    var asked = null;
    var answer = null;
    try {
      var response = await fetch("/web/chat", {
        method: "POST",
        headers: headers("text/event-stream"),
        credentials: "same-origin",
        body: JSON.stringify({
          model: el.model.value,
          use_case: el.useCase.value || null,
          conversation_id: conversationId,
          messages: turns
        })
      });
      if (!response.ok) {
        showError(await errorText(response));
        return;
      }
      var warning = response.headers.get("x-kakehashi-quota-warning");
      var requestId = response.headers.get("x-kakehashi-request-id");
      asked = addMessage("user", typed, files);
      answer = addMessage("assistant", "");
      answer.setAttribute("aria-busy", "true");
      var body = answer.querySelector(".msg-body");
      var full = "";
      var problem = await readStream(response, function (delta) {
        full += delta;
        body.textContent = full;
      });
      answer.removeAttribute("aria-busy");
      if (problem) {
        showError(problem);
        answer.classList.add("msg-failed");
        return;
      }
      history = turns.concat([{ role: "assistant", content: full }]);
      var html = await K.renderMarkdown(full);
      if (html !== null) {
        body.innerHTML = html;  /* sanitised by the server (web/markdown.py) */
        body.classList.add("markdown");
      }
      el.prompt.value = "";
      attached.clear();
      el.panel.hidden = true;
      if (requestId) {
        answer.setAttribute("data-request-id", requestId);
        answer.appendChild(feedbackForm(requestId));
      }
      el.status.textContent = warning ? "注意: 利用上限に近づいています。" : "";
      return;
    } catch (err) {
      showError("サーバーとの接続が切れました。入力した文章は残っています。もう一度送信してください。");
      if (answer) {
        answer.classList.add("msg-failed");
      }
    } finally {
      if (busy) {
        setBusy(false, el.status.textContent === "送信中…" ? "" : el.status.textContent);
      }
      if (asked && answer && answer.classList.contains("msg-failed")) {
        asked.classList.add("msg-failed");
      }
    }
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /* 👍/👎 post at once; the rest of the form is sent with 評価を送る (each post replaces). */
  function feedbackForm(requestId) {
    var node = el.feedback.content.firstElementChild.cloneNode(true);
    var status = node.querySelector(".feedback-status");
    var thumbs = node.querySelectorAll(".thumb");
    var helpful = null;

    async function post() {
      var rating = node.elements.rating.value;
      var minutes = node.elements.minutes_saved.value;
      var reason = node.elements.reason.value.trim();
      if (helpful === null && !rating) {
        status.textContent = "👍/👎 か評価 (1〜5) を選んでください。";
        return;
      }
      var payload = { request_id: requestId };
      if (helpful !== null) { payload.helpful = helpful; }
      if (rating) { payload.rating = Number(rating); }
      if (reason) { payload.reason = reason; }
      if (minutes !== "") { payload.minutes_saved = Number(minutes); }
      status.textContent = "保存中…";
      // The answer's audit record is written just after the stream ends: retry a 404 briefly.
      for (var attempt = 0; attempt < 6; attempt++) {
        var response;
        try {
          response = await fetch("/api/feedback", {
            method: "POST",
            headers: headers("application/json"),
            credentials: "same-origin",
            body: JSON.stringify(payload)
          });
        } catch (err) {
          status.textContent = "保存できませんでした (ネットワーク)。もう一度お試しください。";
          return;
        }
        if (response.ok) {
          status.textContent = "評価を保存しました。ありがとうございます。";
          node.setAttribute("data-saved", "true");
          return;
        }
        if (response.status !== 404 || attempt === 5) {
          status.textContent = await errorText(response);
          return;
        }
        await sleep(300);
      }
    }

    Array.prototype.forEach.call(thumbs, function (button) {
      button.addEventListener("click", function () {
        helpful = button.getAttribute("data-helpful") === "true";
        Array.prototype.forEach.call(thumbs, function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        post();
      });
    });
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      post();
    });
    return node;
  }

  function restart() {
    if (busy) {
      return;
    }
    conversationId = newId();
    history = [];
    el.log.textContent = "";
    el.panel.hidden = true;
    clearError();
    el.status.textContent = "新しい会話を始めました。";
    el.prompt.focus();
  }

  form.addEventListener("submit", send);
  el.preview.addEventListener("click", preview);
  el.fresh.addEventListener("click", restart);
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
  K.templates({
    select: el.useCase,
    data: JSON.parse(root.getAttribute("data-templates") || "{}"),
    box: document.getElementById("chat-template"),
    title: document.getElementById("chat-template-name"),
    fields: document.getElementById("chat-template-fields"),
    fillButton: document.getElementById("chat-template-fill"),
    prompt: el.prompt,
    onError: showError
  });
})();
